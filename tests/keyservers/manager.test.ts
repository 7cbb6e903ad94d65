// KeyServerManager and KekService in process, on the real SQLite store and real KMIP servers
// (Sekisho's, in process, one per key server): the periodic timer, KEK failover from the
// primary to the others, and the in-memory KEK when every key server is gone.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { startInProcessServer, type InProcessServer } from '../kmip-net/net-helpers.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import { kcvOf } from '../../src/keyservers/kek.ts';

let pki: TestPki;
let dataDir: string;
let services: OpenServices;
const kmip: InProcessServer[] = [];

before(async () => {
  pki = makeTestPki();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-manager-'));
  services = openServices(dataDir);
  const store = services.manager.store;
  // The system certificate is the test client certificate, which the servers' CA signed.
  store.putSystemCertificate({
    certPem: readFileSync(pki.clientCert, 'utf8'),
    keyPem: readFileSync(pki.clientKey, 'utf8'),
  });
  store.putSettings({ validationIntervalMinutes: 1, validationTimeoutSeconds: 2 });
  services.manager.changeType('kmip', { sslcert: readFileSync(pki.caCert, 'utf8'), enable: true });
  for (let i = 0; i < 3; i++) kmip.push(await startInProcessServer(pki));
  await services.manager.create({
    ip: '127.0.0.1',
    port: String(kmip[0]!.port),
    primary: true,
    name: 'a',
  });
  await services.manager.create({ ip: '127.0.0.1', port: String(kmip[1]!.port), name: 'b' });
  await services.manager.create({ ip: '127.0.0.1', port: String(kmip[2]!.port), name: 'c' });
});

after(async () => {
  await services.manager.stopTimer();
  services.close();
  for (const s of kmip) await s.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local KEK and its move to the key servers', () => {
  test('before key servers are enabled the KEK is a 32-byte owner-only local file', async () => {
    const r = await services.kek.read();
    assert.equal(r.from, 'local_file');
    assert.equal(r.kek.length, 32);
    const f = path.join(dataDir, 'kek.local');
    assert.deepEqual(new Uint8Array(readFileSync(f)), r.kek);
    assert.equal(statSync(f).mode & 0o777, 0o600);
  });

  test('enable creates the KEK on the primary and registers it on the others (kmip type)', async () => {
    const changes: [Uint8Array, Uint8Array][] = [];
    services.kek.onChange((o, n) => {
      changes.push([o, n]);
      return Promise.resolve();
    });
    const local = (await services.kek.read()).kek;
    const state = await services.kek.enable();
    assert.equal(state.keyServerEnabled, true);
    assert.equal(state.kekUids.size, 3);
    const r = await services.kek.read();
    assert.equal(r.from, 0, 'read from the primary first');
    assert.equal(kcvOf(r.kek), state.kcv);
    assert.equal(changes.length, 1, 'listeners re-wrap what the old KEK protected');
    assert.deepEqual(changes[0]![0], local);
    assert.deepEqual(changes[0]![1], r.kek);
    // Every key server holds the same key under its own identifier, and validation checks it.
    const all = await services.manager.validateAll();
    for (const s of all) {
      assert.equal(s.keyServer.status, 'online', JSON.stringify(s.results[0]?.stages));
      assert.ok(
        s.results[0]!.stages.some((x) => x.stage === 'kek' && x.ok && !/no KEK/.test(x.detail)),
      );
    }
  });

  test('the KEK is read from the next key server when the primary is down', async () => {
    const kek = (await services.kek.read()).kek;
    await kmip[0]!.close();
    const r = await services.kek.read();
    assert.equal(r.from, 1);
    assert.deepEqual(r.kek, kek);
    assert.equal(r.failures.length, 1);
    assert.equal(r.failures[0]!.keyServerId, 0);
  });

  test('with every key server gone the KEK held in memory keeps working', async () => {
    const kek = (await services.kek.read()).kek;
    await kmip[1]!.close();
    await kmip[2]!.close();
    const r = await services.kek.read();
    assert.equal(r.from, 'memory');
    assert.deepEqual(r.kek, kek);
    assert.equal(r.failures.length, 3);
    assert.equal(services.kek.isCached, true);
  });

  test('the periodic timer validates every key server and raises 086008 for each lost one', async () => {
    const runs: number[] = [];
    services.manager.startTimer({ tickMs: 10, minuteMs: 30, onRun: (s) => runs.push(s.length) });
    const deadline = Date.now() + 20_000;
    while (runs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await services.manager.stopTimer();
    assert.ok(runs.length >= 2, 'two periodic runs');
    assert.ok(runs.every((n) => n === 3));
    const unfixed = services.events.list({ fixed: false });
    assert.deepEqual(unfixed.map((e) => [e.objectName, e.eventId]).sort(), [
      ['a', '086008'],
      ['b', '086008'],
      ['c', '086008'],
    ]);
    assert.ok(
      unfixed.every((e) => e.eventCount >= 2),
      'repeated runs coalesce',
    );
    for (const k of services.manager.list()) {
      assert.equal(k.status, 'offline');
      assert.ok(k.errSeqNum !== undefined);
    }
  });

  test('an interval of 0 stops the periodic validation', async () => {
    services.manager.store.putSettings({
      validationIntervalMinutes: 0,
      validationTimeoutSeconds: 2,
    });
    const runs: number[] = [];
    services.manager.startTimer({ tickMs: 5, minuteMs: 1, onRun: (s) => runs.push(s.length) });
    await new Promise((r) => setTimeout(r, 100));
    await services.manager.stopTimer();
    assert.deepEqual(runs, []);
  });
});
