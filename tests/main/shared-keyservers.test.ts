// Issue 6: the key-server configuration and the event log shared by the nodes of a cluster
// through Redis (src/main/shared-keyservers.ts, docs/cluster.md). Each node is the real
// services of `sekisho start` on its own data directory, connected to one real redis-server;
// commands run through the management runner, as the CLI, REST and console run them; key
// servers are real `sekisho kmip-server` processes on loopback, validated from each node's own
// service address (127.0.0.1 and 127.0.0.2).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'iovalkey';
import { loadConfig } from '../../src/config/load.ts';
import { KeyServerError } from '../../src/keyservers/errors.ts';
import { kcvOf } from '../../src/keyservers/kek.ts';
import { openCluster, type OpenCluster } from '../../src/main/cluster.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import { JournalingEventStore, SharedKeyServers } from '../../src/main/shared-keyservers.ts';
import { SqliteEventStore } from '../../src/storage/sqlite/event-store.ts';
import { SqliteKeyServerStore } from '../../src/storage/sqlite/keyserver-store.ts';
import { argsFromArgv, findCommand, runCommand } from '../../src/management/runner.ts';
import type { CommandResult } from '../../src/management/output.ts';
import { RedisKeyServerState } from '../../src/storage/redis/keyserver-state-store.ts';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { startKmipServerProcess, type KmipServerProcess } from '../helpers/kmip-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startRedis, type RedisServer } from '../helpers/redis.ts';

let redis: RedisServer;
let pki: TestPki;
let kmip: KmipServerProcess;
let admin: Redis;
const open: Node[] = [];
const dirs: string[] = [];

interface Node {
  readonly name: string;
  readonly dir: string;
  readonly cluster: OpenCluster;
  readonly services: OpenServices;
  run(command: string, ...argv: string[]): Promise<CommandResult>;
  close(): Promise<void>;
}

let prefixCount = 0;
const newPrefix = (): string => `ks${++prefixCount}:`;

async function node(name: string, prefix: string, dir?: string): Promise<Node> {
  const dataDir = dir ?? mkdtempSync(path.join(os.tmpdir(), `sekisho-shared-${name}-`));
  if (dir === undefined) dirs.push(dataDir);
  const config = loadConfig({
    text: JSON.stringify({
      cluster: {
        enabled: true,
        'redis-url': `redis://127.0.0.1:${redis.port}/0`,
        'redis-prefix': prefix,
        'node-name': name,
      },
    }),
  });
  const cluster = (await openCluster(config, () => undefined))!;
  assert.ok(await cluster.connected(5000));
  const services = openServices(dataDir, config, cluster);
  let closed = false;
  const n: Node = {
    name,
    dir: dataDir,
    cluster,
    services,
    run: (command, ...argv) => {
      const c = findCommand(command);
      assert.ok(c, command);
      return runCommand(c, argsFromArgv(c, argv), { services, lang: 'en' });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await cluster.close();
      services.close();
    },
  };
  open.push(n);
  return n;
}

/** Two nodes of a new cluster, A seeded first; the system certificate the test CA's client. */
async function twoNodes(): Promise<[Node, Node]> {
  const prefix = newPrefix();
  const a = await node('node-a', prefix);
  assert.equal(await a.services.shared!.join(), 'seeded');
  await a.services.shared!.write(() => {
    a.services.manager.store.putSystemCertificate({
      certPem: readFileSync(pki.clientCert, 'utf8'),
      keyPem: readFileSync(pki.clientKey, 'utf8'),
    });
  });
  const b = await node('node-b', prefix);
  assert.equal(await b.services.shared!.join(), 'joined');
  await b.run('chnodeserviceip', '-serviceip', '127.0.0.2');
  await a.run('chnodeserviceip', '-serviceip', '127.0.0.1');
  await a.run('chkeyserverkmip', '-enable', '-sslcert', readFileSync(pki.caCert, 'utf8'));
  return [a, b];
}

const rows = (r: CommandResult): readonly (readonly unknown[])[] => {
  if (r.output.kind !== 'table') assert.fail(`not a table: ${r.output.kind}`);
  return r.output.rows;
};

/** What a node's mirror holds of the shared state. */
const snap = (n: Node): unknown => new SqliteKeyServerStore(n.services.db).snapshot();

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KeyServerError, String(e));
    assert.equal(e.code, code, e.message);
    return true;
  });
}

before(async () => {
  redis = await startRedis();
  pki = makeTestPki();
  kmip = await startKmipServerProcess({ pki });
  admin = new Redis({ host: '127.0.0.1', port: redis.port, lazyConnect: true });
  await admin.connect();
});

after(async () => {
  for (const n of open) await n.close();
  admin.disconnect();
  await kmip.stop();
  await redis.stop();
  for (const d of [...dirs, pki.dir]) rmSync(d, { recursive: true, force: true });
});

describe('joining', () => {
  test('the first node seeds the cluster, its one-machine node record becomes its own; the next takes the cluster’s', async () => {
    const prefix = newPrefix();
    const a = await node('node-a', prefix);
    // One machine's state before the cluster: a type setting and its only node's address.
    a.services.manager.store.putNode({ id: '1', name: 'node1', ipv4: '127.0.0.1', ipv6: 'any' });
    a.services.manager.store.putSettings({
      validationIntervalMinutes: 7,
      validationTimeoutSeconds: 3,
    });
    assert.equal(await a.services.shared!.join(), 'seeded');
    assert.deepEqual(rows(await a.run('lsnode')), [
      ['node-a', 'node-a', '127.0.0.1', 'any', 'offline'],
    ]);
    // A running node says so every 10 s: online while heard within 30 s.
    a.services.shared!.startHeartbeat();

    const b = await node('node-b', prefix);
    b.services.manager.store.putSettings({
      validationIntervalMinutes: 99,
      validationTimeoutSeconds: 9,
    });
    assert.equal(await b.services.shared!.join(), 'joined');
    assert.deepEqual(b.services.manager.store.getSettings(), {
      validationIntervalMinutes: 7,
      validationTimeoutSeconds: 3,
    });
    // Both nodes list both nodes; A hears of B through the cluster.
    const expected = [
      ['node-a', 'node-a', '127.0.0.1', 'any', 'online'],
      ['node-b', 'node-b', 'any', 'any', 'offline'],
    ];
    assert.deepEqual(rows(await b.run('lsnode')), expected);
    assert.deepEqual(rows(await a.run('lsnode')), expected);
    // A restarted node is current: nothing is replaced.
    await b.close();
    const b2 = await node('node-b', prefix, b.dir);
    assert.equal(await b2.services.shared!.join(), 'current');
    a.services.shared!.stopHeartbeat();
  });
});

describe('key servers and events across nodes', () => {
  test('a key server defined at A is listed at B, validated from each node’s own address; a failure’s event is fixed at B and A sees it', async () => {
    const [a, b] = await twoNodes();
    await a.run(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(kmip.port),
      '-name',
      'ks0',
      '-primary',
    );
    // B knows it at its next command (it catches up first).
    const listed = rows(await b.run('lskeyserver'));
    assert.equal(listed.length, 1);
    assert.equal(listed[0]![1], 'ks0');
    // A validated from node-a only; B validates from node-b (the `validate` message in a
    // running node; here called as the message handler calls it).
    const atA = a.services.manager.find('ks0');
    assert.deepEqual(
      atA.lastValidation.map((r) => r.nodeId),
      ['node-a'],
    );
    await b.services.manager.validateHere(atA.id);
    await a.services.shared!.sync();
    const both = a.services.manager.find('ks0');
    assert.deepEqual(
      both.lastValidation.map((r) => [r.nodeId, r.outcome.ok]),
      [
        ['node-a', true],
        ['node-b', true],
      ],
    );
    const serviceIp = (nodeId: string): string =>
      both.lastValidation
        .find((r) => r.nodeId === nodeId)!
        .stages.find((s) => s.stage === 'service_ip')!.detail;
    assert.match(serviceIp('node-a'), /127\.0\.0\.1/);
    assert.match(serviceIp('node-b'), /127\.0\.0\.2/);
    assert.equal(both.status, 'online');

    // A second key server on a closed port: both nodes raise 086008-or-such events, one
    // event per (event ID, object), coalesced across nodes.
    const closed = await freePort();
    await a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(closed), '-name', 'dead');
    await b.services.shared!.sync();
    await b.services.manager.validateHere(a.services.manager.find('dead').id);
    await a.services.shared!.sync();
    const dead = a.services.manager.find('dead');
    assert.equal(dead.status, 'offline');
    const evA = a.services.events.list({ fixed: false });
    assert.equal(evA.length, 1, JSON.stringify(evA));
    assert.equal(evA[0]!.eventCount, 2);
    assert.equal(evA[0]!.reportingNodeId, 'node-b');
    assert.equal(dead.errSeqNum, evA[0]!.sequenceNumber);
    // B sees the same event, by the same sequence number, and fixes it.
    await b.run('cheventlog', '-fix', String(evA[0]!.sequenceNumber));
    await a.services.shared!.sync();
    const fixed = a.services.events.get(evA[0]!.sequenceNumber)!;
    assert.equal(fixed.fixed, true);
    assert.equal(a.services.manager.find('dead').errSeqNum, undefined);
    // The next event anywhere takes the next sequence number of the cluster.
    await b.run('testkeyserver', 'dead');
    await a.services.shared!.sync();
    const again = a.services.events.list({ fixed: false });
    assert.equal(again.length, 1);
    assert.equal(again[0]!.sequenceNumber, evA[0]!.sequenceNumber + 1);
    assert.equal(again[0]!.reportingNodeId, 'node-b');
  });

  test('rmnode forgets a node that left: its failing validation no longer counts, its event is auto-fixed', async () => {
    const [a, b] = await twoNodes();
    await a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(kmip.port), '-name', 'ks');
    // Node B's service address is not one of this machine's: B's validation fails.
    await b.run('chnodeserviceip', '-serviceip', '192.0.2.1');
    await b.services.manager.validateHere(a.services.manager.find('ks').id);
    await a.services.shared!.sync();
    const degraded = a.services.manager.find('ks');
    assert.equal(degraded.status, 'degraded');
    const [event] = a.services.events.list({ fixed: false });
    assert.equal(event?.reportingNodeId, 'node-b');
    assert.equal(degraded.errSeqNum, event.sequenceNumber);

    await rejectsWith(a.run('rmnode', 'node-a'), 'KEYSERVER_INVALID_PARAMETER');
    await rejectsWith(a.run('rmnode', 'node-z'), 'NODE_NOT_FOUND');
    await rejectsWith(a.run('rmnode', "node-b' OR 1=1 --"), 'NODE_NOT_FOUND');
    await a.run('rmnode', 'node-b');
    await b.services.shared!.sync();
    for (const n of [a, b]) {
      const ks = n.services.manager.find('ks');
      assert.equal(ks.status, 'online');
      assert.deepEqual(
        ks.lastValidation.map((r) => r.nodeId),
        ['node-a'],
      );
      assert.equal(ks.errSeqNum, undefined);
      assert.equal(n.services.events.get(event.sequenceNumber)?.autoFixed, true);
      assert.deepEqual(
        rows(await n.run('lsnode')).map((r) => r[0]),
        ['node-a'],
      );
    }
  });

  test('changes at two nodes at once are serialised: one name, at most four key servers', async () => {
    const [a, b] = await twoNodes();
    const args = (port: number, name: string): string[] => [
      '-ip',
      '127.0.0.1',
      '-port',
      String(port),
      '-name',
      name,
    ];
    const same = await Promise.allSettled([
      a.run('mkkeyserver', ...args(kmip.port, 'twin')),
      b.run('mkkeyserver', ...args(kmip.port, 'twin')),
    ]);
    assert.deepEqual(same.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    const refused = same.find((r) => r.status === 'rejected')!;
    assert.equal((refused.reason as KeyServerError).code, 'KEYSERVER_NAME_IN_USE');
    // Three more from both sides at once: the fourth fits, the fifth does not.
    const more = await Promise.allSettled([
      a.run('mkkeyserver', ...args(kmip.port, 'm1')),
      b.run('mkkeyserver', ...args(kmip.port, 'm2')),
      a.run('mkkeyserver', ...args(kmip.port, 'm3')),
      b.run('mkkeyserver', ...args(kmip.port, 'm4')),
    ]);
    assert.equal(more.filter((r) => r.status === 'fulfilled').length, 3);
    const limit = more.find((r) => r.status === 'rejected')!;
    assert.equal((limit.reason as KeyServerError).code, 'KEYSERVER_LIMIT');
    await a.services.shared!.sync();
    await b.services.shared!.sync();
    const names = (n: Node): string[] =>
      n.services.manager
        .list()
        .map((k) => k.name)
        .sort();
    assert.equal(names(a).length, 4);
    assert.deepEqual(names(a), names(b));
    // Ids are unique across the cluster.
    assert.equal(new Set(a.services.manager.list().map((k) => k.id)).size, 4);
  });

  test('a validation waiting on a silent key server holds no lock: another node changes meanwhile', async () => {
    const [a, b] = await twoNodes();
    await a.run('chsystem', '-keyservervalidationtimeout', '2');
    // Accepts TCP connections and never answers the TLS handshake.
    const silent = net.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      let validated = false;
      const mk = a
        .run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(port), '-name', 'silent')
        .finally(() => {
          validated = true;
        });
      await until('the new key server at B', async () => {
        await b.services.shared!.sync();
        return b.services.manager.list().some((k) => k.name === 'silent');
      });
      await b.run('chsystem', '-keyservervalidationinterval', '7');
      assert.equal(validated, false, 'B changed the state while A was still validating');
      await mk;
      await a.services.shared!.sync();
      assert.equal(a.services.manager.store.getSettings().validationIntervalMinutes, 7);
      assert.equal(a.services.manager.find('silent').status, 'offline');
    } finally {
      silent.close();
    }
  });

  test('the KEK moved to the key servers at A is the KEK B reads, and back to the local file', async () => {
    const [a, b] = await twoNodes();
    // One KEK for the cluster: the local file is copied before B starts using it.
    await a.services.kek.read();
    const local = readFileSync(path.join(a.dir, 'kek.local'));
    await b.services.kek.read();
    assert.notEqual(kcvOf(await b.services.kek.current()), kcvOf(local));
    writeFileSync(path.join(b.dir, 'kek.local'), local, { mode: 0o600 });
    await b.services.kek.read();
    await a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(kmip.port), '-primary');
    await a.run('chencryption', '-keyserver', 'enable');
    const kcv = a.services.manager.store.getEncryption().kcv!;
    assert.notEqual(kcv, kcvOf(local));
    await b.services.shared!.sync();
    await b.services.shared!.settled();
    assert.equal(b.services.manager.store.getEncryption().kcv, kcv);
    assert.equal(kcvOf(await b.services.kek.current()), kcv);
    // Back to the local file at A: B writes the same KEK to its own file.
    await a.run('chencryption', '-keyserver', 'disable');
    await b.services.shared!.sync();
    await b.services.shared!.settled();
    assert.equal(kcvOf(new Uint8Array(readFileSync(path.join(b.dir, 'kek.local')))), kcv);
  });
});

describe('failures', () => {
  test('Redis down: a change fails with KEYSERVER_CLUSTER_UNAVAILABLE and changes nothing; back, the change works', async () => {
    const [a, b] = await twoNodes();
    // An event in the cluster's log before Redis loses everything.
    const closed = await freePort();
    await a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(closed), '-name', 'gone');
    await b.services.shared!.sync();
    assert.equal(b.services.events.list({}).length, 1);
    const before = snap(a);
    await redis.halt();
    try {
      await rejectsWith(
        a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(kmip.port), '-name', 'x'),
        'KEYSERVER_CLUSTER_UNAVAILABLE',
      );
      await rejectsWith(a.run('lskeyserver'), 'KEYSERVER_CLUSTER_UNAVAILABLE');
      assert.deepEqual(snap(a), before);
    } finally {
      await redis.restart();
    }
    await a.cluster.connected(5000);
    await until('the command connection', () => a.cluster.client.status === 'ready');
    // This Redis keeps nothing across a restart: the node's mirror seeds the cluster again
    // (a new epoch), and the other node, whose generation means nothing there, reloads it all.
    await a.run('mkkeyserver', '-ip', '127.0.0.1', '-port', String(kmip.port), '-name', 'x');
    assert.deepEqual(
      a.services.manager.list().map((k) => k.name),
      ['gone', 'x'],
    );
    await b.services.shared!.sync();
    assert.deepEqual(snap(b), snap(a));
    assert.deepEqual(
      b.services.events.list({}).map((e) => [e.sequenceNumber, e.objectName]),
      a.services.events.list({}).map((e) => [e.sequenceNumber, e.objectName]),
    );
    assert.equal(b.services.events.list({}).length, 1);
  });

  test('a state seeded again (another epoch) is read whole, whatever the generations say', async () => {
    const [a] = await twoNodes();
    const state = new RedisKeyServerState(a.cluster.client, { prefix: a.cluster.prefix });
    const whole = await state.changes(0, '');
    if (whole.kind !== 'many') assert.fail(`expected many, got ${whole.kind}`);
    assert.match(whole.epoch, /^[0-9a-f-]{36}$/);
    assert.equal((await state.changes(whole.gen, whole.epoch)).kind, 'same');
    assert.equal((await state.changes(whole.gen - 1, whole.epoch)).kind, 'changed');
    // A mirror of an earlier epoch at a lower generation: not a list of changes but everything.
    assert.equal((await state.changes(whole.gen - 1, 'an-earlier-epoch')).kind, 'many');
    // A push made for another epoch is refused.
    assert.equal(await admin.set(`${a.cluster.prefix}ks:lock`, 't', 'PX', 5000), 'OK');
    await assert.rejects(
      state.push('t', whole.gen, 'an-earlier-epoch', whole.snapshot, []),
      /another node changed the shared state/,
    );
    await admin.del(`${a.cluster.prefix}ks:lock`);
  });

  test('a change whose lock expired before it was stored is refused, and undone at the next catch-up', async () => {
    const [a] = await twoNodes();
    const before = snap(a);
    await rejectsWith(
      a.services.shared!.write(async () => {
        a.services.manager.store.putSettings({
          validationIntervalMinutes: 1,
          validationTimeoutSeconds: 1,
        });
        // The lock expires (a long pause) and another node could take it now.
        await admin.del(`${a.cluster.prefix}ks:lock`);
      }),
      'KEYSERVER_CLUSTER_UNAVAILABLE',
    );
    await a.services.shared!.sync();
    assert.deepEqual(snap(a), before);
  });

  test('a lock held by another node delays a change; one left by a dead node expires', async () => {
    const [a] = await twoNodes();
    const prefix = a.cluster.prefix;
    const state = new RedisKeyServerState(a.cluster.client, { prefix });
    const events = new SqliteEventStore(a.services.db);
    const impatient = new SharedKeyServers({
      redis: state,
      store: new SqliteKeyServerStore(a.services.db),
      events,
      journal: new JournalingEventStore(events),
      where: a.cluster.where,
      nodeName: 'node-a',
      publish: () => Promise.resolve(),
      lockWaitMs: 300,
    });
    assert.equal(await admin.set(`${prefix}ks:lock`, 'someone-else', 'PX', 60_000, 'NX'), 'OK');
    await rejectsWith(
      impatient.write(() => undefined),
      'KEYSERVER_CLUSTER_BUSY',
    );
    // A holder that died: its lock expires (here after 200 ms) and the change goes through.
    await admin.set(`${prefix}ks:lock`, 'dead-node', 'PX', 200);
    const t0 = Date.now();
    await a.run('chsystem', '-keyservervalidationinterval', '5');
    assert.ok(Date.now() - t0 >= 100, 'waited for the lock');
    assert.equal(a.services.manager.store.getSettings().validationIntervalMinutes, 5);
  });

  test('hostile contents in Redis are refused as corrupt and change nothing in the mirror', async () => {
    const [a, b] = await twoNodes();
    const prefix = a.cluster.prefix;
    const before = snap(b);
    const gen = Number(await admin.hget(`${prefix}ks:state`, 'gen'));
    for (const doc of [
      'not json',
      '{"keyServers":[{"id":"0; DROP TABLE key_servers"}],"types":[],"nodes":[]}',
      JSON.stringify({
        ...JSON.parse((await admin.hget(`${prefix}ks:state`, 'doc'))!),
        nodes: 'x',
      }),
      '[]',
    ]) {
      await admin.hset(`${prefix}ks:state`, 'doc', doc, 'gen', String(gen + 100));
      await assert.rejects(b.services.shared!.sync(), /corrupt store: redis key-server state/);
      assert.deepEqual(snap(b), before);
    }
  });
});
