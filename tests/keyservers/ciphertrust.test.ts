// The ciphertrustmanager type: CipherTrust Manager can require a username and password in
// every KMIP request besides the client certificate. A Sekisho kmip-server started with
// --credential plays that part, with a CipherTrust vendor identification.
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import { startKmipServerProcess, type KmipServerProcess } from '../helpers/kmip-process.ts';
import { decodeSense, type KmipErrorSense } from '../../src/events/index.ts';
import { validateKeyServer } from '../../src/keyservers/validation.ts';
import type { KeyServerTypeConfig, ValidationTarget } from '../../src/keyservers/types.ts';

let pki: TestPki;
let server: KmipServerProcess;

before(async () => {
  pki = makeTestPki();
  server = await startKmipServerProcess({
    pki,
    args: [
      '--vendor-identification',
      'Thales CipherTrust Manager 2.14.0',
      '--credential',
      'sekisho:s3cret-pass',
    ],
  });
});
after(async () => {
  await server.stop();
});

function target(credential: Partial<KeyServerTypeConfig>): ValidationTarget {
  const pem = (f: string): string => readFileSync(f, 'utf8');
  return {
    keyServer: {
      id: 0,
      name: 'ctm1',
      ip: '127.0.0.1',
      port: server.port,
      type: 'ciphertrustmanager',
      primary: true,
      certPem: undefined,
    },
    typeConfig: {
      type: 'ciphertrustmanager',
      enabled: true,
      caCertPem: pem(pki.caCert),
      ...credential,
    },
    node: { id: '1', name: 'node1', ipv4: 'any', ipv6: 'any' },
    systemCert: { certPem: pem(pki.clientCert), keyPem: pem(pki.clientKey) },
    kek: undefined,
  };
}

test('with the configured username and password the key server validates', async () => {
  const v = await validateKeyServer(target({ username: 'sekisho', password: 's3cret-pass' }));
  assert.equal(v.outcome.ok, true, JSON.stringify(v.stages));
});

test('without a credential, or with a wrong one, validation raises 086006 Authentication Not Successful', async () => {
  for (const credential of [
    {},
    { username: 'sekisho', password: 'wrong' },
    { username: 'other', password: 's3cret-pass' },
  ]) {
    const v = await validateKeyServer(target(credential));
    assert.equal(v.outcome.ok, false);
    assert.equal(v.outcome.eventId, '086006');
    const sense = decodeSense('086006', v.outcome.sense) as KmipErrorSense;
    assert.equal(sense.resultReason, 3, JSON.stringify(credential));
    assert.match(sense.resultMessage, /credential/);
  }
});

test('a server outside the CipherTrust family is refused under that type (086007)', async () => {
  const generic = await startKmipServerProcess({ pki, args: [] });
  try {
    const t = target({});
    const v = await validateKeyServer({ ...t, keyServer: { ...t.keyServer, port: generic.port } });
    assert.equal(v.outcome.ok, false);
    assert.equal(v.outcome.eventId, '086007');
  } finally {
    await generic.stop();
  }
});
