// PyKMIP 0.10's own client (tests/helpers/pykmip-client.py) against `sekisho kmip-server`
// run as a real child process, with the RSA test PKI.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Tag, decodeTtlv, serverInformationPairs } from '../../src/kmip/index.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import { startKmipServerProcess } from '../helpers/kmip-process.ts';
import type { KmipServerProcess } from '../helpers/kmip-process.ts';
import { pyKmipClientArgs, runPyKmipClient } from '../helpers/pykmip-client.ts';
import type { PyKmipErrorResult, PyKmipSuiteResult } from '../helpers/pykmip-client.ts';
import { ensurePackages } from '../helpers/pykmip-server.ts';

const PACKAGE_VERSION = (
  JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

const SUITE_STEPS = [
  'discover_versions',
  'query',
  'create',
  'get',
  'get_attributes',
  'locate',
  'activate',
  'revoke',
  'destroy',
  'get_after_destroy',
];

/** The Query Operations our server lists at protocol 1.2 (PyKMIP's client default). */
const OUR_OPERATIONS = [
  'CREATE',
  'REGISTER',
  'LOCATE',
  'GET',
  'GET_ATTRIBUTES',
  'ACTIVATE',
  'REVOKE',
  'DESTROY',
  'QUERY',
  'DISCOVER_VERSIONS',
];

describe('PyKMIP client against `sekisho kmip-server` (child process)', () => {
  let pki: TestPki;
  const servers: KmipServerProcess[] = [];
  let generic: KmipServerProcess;

  const start = async (args: string[] = []): Promise<KmipServerProcess> => {
    const s = await startKmipServerProcess({ pki, args });
    servers.push(s);
    return s;
  };
  const target = (s: KmipServerProcess): { host: string; port: number; pki: TestPki } => ({
    host: s.host,
    port: s.port,
    pki,
  });

  before(async () => {
    await ensurePackages(['python3-pykmip', 'openssl']);
    pki = makeTestPki();
    generic = await start();
  });

  after(async () => {
    for (const s of servers) await s.stop();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('the server announces itself on loopback with the generic vendor', () => {
    assert.equal(generic.host, '127.0.0.1');
    assert.ok(generic.port > 0);
    assert.ok(
      generic.listeningLine.includes(`vendor "Sekisho ${PACKAGE_VERSION} KMIP Server"`),
      generic.listeningLine,
    );
  });

  test('every step of the PyKMIP suite succeeds', async () => {
    const r = (await runPyKmipClient([
      ...pyKmipClientArgs(target(generic)),
      'suite',
    ])) as PyKmipSuiteResult;
    const failed = r.steps.filter((s) => !s.ok);
    assert.deepEqual(failed, [], `failed steps: ${JSON.stringify(failed, null, 2)}`);
    assert.deepEqual(
      r.steps.map((s) => s.name),
      SUITE_STEPS,
    );
    assert.equal(r.vendor, `Sekisho ${PACKAGE_VERSION} KMIP Server`);
    assert.equal(r.server_information, null, 'the generic profile sends no Server Information');
    assert.deepEqual(r.versions, ['1.4', '1.3', '1.2', '1.1', '1.0']);
    assert.equal(r.tls_version, 'TLSv1.2', 'PyKMIP pins TLS 1.2');
    assert.deepEqual(r.operations, OUR_OPERATIONS);
    assert.deepEqual(r.object_types, ['SYMMETRIC_KEY', 'SECRET_DATA', 'OPAQUE_DATA']);
    const destroyed = r.steps.find((s) => s.name === 'get_after_destroy')!;
    assert.match(destroyed.detail, /ITEM_NOT_FOUND/);
  });

  test('a client certificate without EKU clientAuth gets AUTHENTICATION_NOT_SUCCESSFUL', async () => {
    const r = (await runPyKmipClient([
      ...pyKmipClientArgs(target(generic), { cert: pki.noEkuCert, key: pki.noEkuKey }),
      'error-noeku',
    ])) as PyKmipErrorResult;
    assert.equal(r.status, 'OPERATION_FAILED');
    assert.equal(r.reason, 'AUTHENTICATION_NOT_SUCCESSFUL');
    assert.match(r.message ?? '', /clientAuth/);
    assert.deepEqual(r.versions, []);
  });

  test('with --profile isklm --server-type clone the suite sees Server Information', async () => {
    const isklm = await start(['--profile', 'isklm', '--server-type', 'clone']);
    const r = (await runPyKmipClient([
      ...pyKmipClientArgs(target(isklm)),
      'suite',
    ])) as PyKmipSuiteResult;
    const failed = r.steps.filter((s) => !s.ok);
    assert.deepEqual(failed, [], `failed steps: ${JSON.stringify(failed, null, 2)}`);
    assert.equal(r.vendor, 'IBM Security Key Lifecycle Manager 4.1.1.0');
    assert.ok(r.server_information, 'Server Information present');
    // PyKMIP keeps the structure's body as bytes and prints them as b'<hex>'.
    const hex = /^b'([0-9a-f]+)'$/.exec(r.server_information)?.[1];
    assert.ok(hex, r.server_information);
    const body = Buffer.from(hex, 'hex');
    const header = Buffer.alloc(8);
    header.writeUIntBE(Tag.ServerInformation, 0, 3);
    header[3] = 0x01;
    header.writeUInt32BE(body.length, 4);
    const info = decodeTtlv(Buffer.concat([header, body]));
    assert.equal(info.type, 'Structure');
    const pairs = serverInformationPairs(info);
    assert.equal(pairs.get('ServerType'), 'clone');
    assert.equal(pairs.get('Version'), '4.1.1.0');
  });
});
