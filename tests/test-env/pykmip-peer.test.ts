// The test harness against the real thing: a PyKMIP 0.10 server started on loopback,
// driven by PyKMIP's own client and by a raw node:tls socket. This is the baseline the
// project's KMIP client and server are compared (and benchmarked) against.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { runPyKmipClient, pyKmipClientArgs } from '../helpers/pykmip-client.ts';
import type {
  PyKmipBenchResult,
  PyKmipErrorResult,
  PyKmipSuiteResult,
} from '../helpers/pykmip-client.ts';
import { groupMembers, startPyKmipServer } from '../helpers/pykmip-server.ts';
import type { PyKmipServer } from '../helpers/pykmip-server.ts';
import { isPortListening } from '../helpers/ports.ts';

/** Discover Versions, KMIP 1.2, empty payload (PyKMIP's own client sends exactly this). */
const DISCOVER_VERSIONS_REQUEST =
  '42007801000000604200770100000038420069010000002042006a0200000004000000010000000042006b0200000004000000020000000042000d0200000004000000010000000042000f010000001842005c05000000040000001e000000004200790100000000';

/** Send one TTLV message over TLS 1.2 with a client certificate; read one TTLV reply. */
function rawKmipRoundTrip(server: PyKmipServer, request: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: server.host,
      port: server.port,
      servername: 'localhost',
      ca: fs.readFileSync(server.pki.caCert),
      cert: fs.readFileSync(server.pki.clientCert),
      key: fs.readFileSync(server.pki.clientKey),
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
    });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy(new Error('no complete KMIP response within 10 s'));
    }, 10_000);
    const finish = (err: Error | null, reply?: Buffer) => {
      clearTimeout(timer);
      socket.end();
      if (err) reject(err);
      else resolve(reply!);
    };
    socket.once('secureConnect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 8) return;
      const total = 8 + buf.readUInt32BE(4);
      if (buf.length >= total) finish(null, buf.subarray(0, total));
    });
    socket.once('error', (err: Error) => {
      finish(err);
    });
    socket.once('end', () => {
      finish(new Error(`connection closed after ${buf.length} bytes`));
    });
  });
}

describe('PyKMIP 0.10 test peer (real server, real client)', () => {
  let server: PyKmipServer | undefined;

  before(async () => {
    server = await startPyKmipServer();
  });

  after(async () => {
    await server?.stop();
  });

  test('PyKMIP client suite passes every step', async () => {
    const r = (await runPyKmipClient([...pyKmipClientArgs(server!), 'suite'])) as PyKmipSuiteResult;
    const failed = r.steps.filter((s) => !s.ok);
    assert.deepEqual(failed, [], `failed steps: ${JSON.stringify(failed, null, 2)}`);
    assert.deepEqual(
      r.steps.map((s) => s.name),
      [
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
      ],
    );
    assert.equal(r.vendor, 'PyKMIP 0.10.0 Software Server');
    assert.equal(r.versions[0], '2.0');
    assert.ok(r.versions.includes('1.4'), `versions: ${r.versions.join(' ')}`);
    assert.equal(r.tls_version, 'TLSv1.2');
    assert.ok(r.operations.includes('DISCOVER_VERSIONS'), `operations: ${r.operations.join()}`);
  });

  test('client certificate without EKU clientAuth gets AUTHENTICATION_NOT_SUCCESSFUL', async () => {
    const s = server!;
    const r = (await runPyKmipClient([
      ...pyKmipClientArgs(s, { cert: s.pki.noEkuCert, key: s.pki.noEkuKey }),
      'error-noeku',
    ])) as PyKmipErrorResult;
    assert.equal(r.status, 'OPERATION_FAILED');
    assert.equal(r.reason, 'AUTHENTICATION_NOT_SUCCESSFUL');
  });

  test('raw node:tls Discover Versions gets the expected 376-byte response', async () => {
    const reply = await rawKmipRoundTrip(server!, Buffer.from(DISCOVER_VERSIONS_REQUEST, 'hex'));
    assert.equal(reply.subarray(0, 4).toString('hex'), '42007b01');
    assert.equal(reply.length, 376);
  });

  test('PyKMIP client bench runs round trips over one connection', async () => {
    const r = (await runPyKmipClient([
      ...pyKmipClientArgs(server!),
      'bench',
      '--seconds',
      '1',
    ])) as PyKmipBenchResult;
    assert.ok(r.per_second > 0, JSON.stringify(r));
    assert.equal(r.errors, 0);
  });

  test('stop() ends every server process, frees the port and removes the temp dir', async () => {
    const s = server!;
    assert.ok(isPortListening(s.port), 'listening before stop');
    await s.stop();
    assert.equal(isPortListening(s.port), false, `port ${s.port} still listening`);
    assert.deepEqual(groupMembers(s.pid), [], 'server processes left in its process group');
    assert.equal(fs.existsSync(s.dir), false, `${s.dir} still exists`);
  });
});
