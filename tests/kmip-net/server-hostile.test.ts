// Sekisho's KMIP server under hostile input, fed by raw node:tls sockets: malformed frames,
// lying headers, floods of broken connections and clients the TLS layer must refuse.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import {
  KmipClient,
  Operation,
  QueryFunction,
  ResultReason,
  ResultStatus,
  Tag,
  decodeTtlv,
  encodeRequest,
  encodeTtlv,
  makeIdentity,
  parseResponse,
  queryRequestPayload,
} from '../../src/kmip/index.ts';
import type { ResponseMessage, TtlvStructure } from '../../src/kmip/index.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import {
  RawTtlvPeer,
  clientOptions,
  pem,
  queryRequestBytes,
  settlesWithin,
  startInProcessServer,
} from './net-helpers.ts';
import type { InProcessServer } from './net-helpers.ts';

const VENDOR = 'Sekisho hostile-test KMIP Server';

function decodeResponse(bytes: Buffer): ResponseMessage {
  return parseResponse(decodeTtlv(bytes));
}

/** The response must be one message-level Invalid Message item (no Operation). */
function assertInvalidMessage(bytes: Buffer): ResponseMessage {
  const r = decodeResponse(bytes);
  assert.equal(r.batchItems.length, 1);
  const item = r.batchItems[0]!;
  assert.equal(item.operation, undefined, 'a message-level fault carries no Operation');
  assert.equal(item.resultStatus, ResultStatus.OperationFailed);
  assert.equal(item.resultReason, ResultReason.InvalidMessage);
  assert.ok(item.resultMessage, 'with a Result Message');
  return r;
}

/** The response must be a successful Query carrying our vendor. */
function assertQueryAnswered(bytes: Buffer): void {
  const r = decodeResponse(bytes);
  assert.equal(r.batchItems.length, 1);
  const item = r.batchItems[0]!;
  assert.equal(item.operation, Operation.Query);
  assert.equal(item.resultStatus, ResultStatus.Success);
  assert.ok(
    item.payload?.value.some((n) => n.tag === Tag.VendorIdentification && n.value === VENDOR),
  );
}

/** A Query request whose payload nests `depth` structures inside the Request Message. */
function depthBomb(depth: number): Buffer {
  let inner: TtlvStructure = { tag: 0x540002, type: 'Structure', value: [] };
  for (let i = 0; i < depth; i++) inner = { tag: 0x540002, type: 'Structure', value: [inner] };
  return encodeTtlv(
    encodeRequest({
      header: { protocolVersion: { major: 1, minor: 4 } },
      batchItems: [
        {
          operation: Operation.Query,
          payload: {
            ...queryRequestPayload([QueryFunction.QueryOperations]),
            value: [...queryRequestPayload([QueryFunction.QueryOperations]).value, inner],
          },
        },
      ],
    }),
  );
}

describe('the Sekisho KMIP server under hostile input', () => {
  let pki: TestPki;
  let srv: InProcessServer;
  const peers: RawTtlvPeer[] = [];
  const sockets: tls.TLSSocket[] = [];
  const clients: KmipClient[] = [];

  const peer = async (o: Partial<tls.ConnectionOptions> = {}): Promise<RawTtlvPeer> => {
    const p = await RawTtlvPeer.connect(pki, srv.port, o);
    peers.push(p);
    return p;
  };

  before(async () => {
    pki = makeTestPki();
    srv = await startInProcessServer(pki, {
      identity: makeIdentity({ vendorIdentification: VENDOR }),
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    for (const p of peers) p.destroy();
    for (const s of sockets) s.destroy();
    await srv.close();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('bad padding inside a valid frame: Invalid Message, and the connection goes on', async () => {
    const bad = queryRequestBytes();
    // Protocol Version Major is the first Integer: header(8) + header(8) + version(8) + item header(8).
    const major = 24;
    assert.equal(bad.readUInt32BE(major) >>> 8, Tag.ProtocolVersionMajor);
    bad[major + 8 + 4] = 0x01; // a padding byte after the 4-byte value
    const p = await peer();
    const r = assertInvalidMessage(await p.roundTrip(bad));
    assert.deepEqual(r.header.protocolVersion, { major: 1, minor: 0 });
    assert.match(r.batchItems[0]!.resultMessage ?? '', /padding/);
    assertQueryAnswered(await p.roundTrip(queryRequestBytes()));
  });

  test('a frame that is not a Structure: Invalid Message, that connection closed, others unaffected', async () => {
    const healthy = await peer();
    const hostile = await peer();
    hostile.write(Buffer.from('42007802000000040000000100000000', 'hex'));
    assertInvalidMessage(await hostile.next());
    assert.ok(await settlesWithin(hostile.closed, 5_000), 'the server closed the connection');
    assertQueryAnswered(await healthy.roundTrip(queryRequestBytes()));
  });

  test('a header announcing 2^31 bytes: Invalid Message and closed at once', async () => {
    const p = await peer();
    p.write(Buffer.from('4200780180000000', 'hex'));
    const r = assertInvalidMessage(await p.next(5_000));
    assert.match(r.batchItems[0]!.resultMessage ?? '', /exceeds the limit/);
    assert.ok(await settlesWithin(p.closed, 5_000), 'closed without waiting for the body');
  });

  test('a depth bomb inside a valid frame gets Invalid Message', async () => {
    const p = await peer();
    const r = assertInvalidMessage(await p.roundTrip(depthBomb(40)));
    assert.match(r.batchItems[0]!.resultMessage ?? '', /nesting/);
    assertQueryAnswered(await p.roundTrip(queryRequestBytes()));
  });

  test('50 connections sending truncated garbage and hanging up do not stop a healthy client', async () => {
    const client = new KmipClient(clientOptions(pki, srv.port));
    clients.push(client);
    assert.equal((await client.query()).vendorIdentification, VENDOR);
    const truncated = queryRequestBytes().subarray(0, 37);
    const flood = Array.from({ length: 50 }, async (_, i) => {
      const p = await peer();
      // Half send the start of a real request, half random-ish junk with a plausible header.
      p.write(i % 2 === 0 ? truncated : Buffer.from(`420078010000ffff${'ab'.repeat(20)}`, 'hex'));
      p.socket.end();
      await p.closed;
    });
    const during = Array.from({ length: 10 }, () => client.query());
    await Promise.all(flood);
    for (const q of await Promise.all(during)) assert.equal(q.vendorIdentification, VENDOR);
    assert.equal((await client.query()).vendorIdentification, VENDOR);
  });

  test('a client without a certificate fails the TLS 1.2 handshake', async () => {
    const e = await new Promise<Error>((resolve, reject) => {
      const s = tls.connect({
        host: '127.0.0.1',
        port: srv.port,
        ca: pem(pki.caCert),
        maxVersion: 'TLSv1.2',
      });
      sockets.push(s);
      s.once('secureConnect', () => {
        reject(new Error('handshake completed without a client certificate'));
      });
      s.once('error', resolve);
    });
    // Alert 40 handshake_failure: the server demands a certificate the client does not have.
    assert.match((e as NodeJS.ErrnoException).code ?? '', /ALERT_HANDSHAKE_FAILURE$/, e.message);
  });

  test('a client without a certificate gets no answer over TLS 1.3 either', async () => {
    // In TLS 1.3 the client finishes its side before the server checks its certificate: the
    // refusal arrives as an alert, and a request sent meanwhile is never answered.
    const s = tls.connect({ host: '127.0.0.1', port: srv.port, ca: pem(pki.caCert) });
    sockets.push(s);
    let received = 0;
    s.on('data', (b: Buffer) => (received += b.length));
    s.once('secureConnect', () => s.write(queryRequestBytes()));
    const e = await new Promise<Error>((resolve) => s.once('error', resolve));
    assert.match((e as NodeJS.ErrnoException).code ?? '', /ALERT_CERTIFICATE_REQUIRED$/, e.message);
    assert.equal(received, 0);
  });

  /** Connects with TLS 1.1 only; resolves with the error (node's own or the server's alert). */
  const tls11 = (extra: tls.ConnectionOptions): Promise<Error> =>
    new Promise<Error>((resolve, reject) => {
      let s: tls.TLSSocket;
      try {
        s = tls.connect({
          host: '127.0.0.1',
          port: srv.port,
          ca: pem(pki.caCert),
          cert: pem(pki.clientCert),
          key: pem(pki.clientKey),
          minVersion: 'TLSv1.1',
          maxVersion: 'TLSv1.1',
          ...extra,
        });
      } catch (err) {
        resolve(err as Error);
        return;
      }
      sockets.push(s);
      s.once('secureConnect', () => {
        reject(new Error(`handshake completed with ${String(s.getProtocol())}`));
      });
      s.once('error', resolve);
    });

  test('a TLS 1.1-only client fails: node refuses to offer TLS 1.1 at its default security level', async () => {
    const e = await tls11({});
    assert.equal((e as NodeJS.ErrnoException).code, 'ERR_SSL_NO_PROTOCOLS_AVAILABLE', e.message);
  });

  test('a TLS 1.1-only client fails: the server answers a TLS 1.1 hello with a protocol_version alert', async () => {
    // Security level 0 lets OpenSSL send the TLS 1.1 ClientHello; the server must refuse it.
    const e = await tls11({ ciphers: 'DEFAULT@SECLEVEL=0' });
    assert.equal(
      (e as NodeJS.ErrnoException).code,
      'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
      e.message,
    );
    assertQueryAnswered(await (await peer()).roundTrip(queryRequestBytes()));
  });
});
