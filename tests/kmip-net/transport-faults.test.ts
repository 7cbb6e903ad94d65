// Connection faults with real sockets on loopback: refused and silent peers, timeouts,
// certificate failures, dropped connections and peers that break the TTLV stream.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import {
  KmipClient,
  KmipCodecError,
  KmipServerCore,
  KmipTransportError,
  MemoryObjectStore,
  TtlvFramer,
  makeIdentity,
} from '../../src/kmip/index.ts';
import type { KmipClientOptions, KmipError } from '../../src/kmip/index.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import { freePort } from '../helpers/ports.ts';
import { clientOptions, kmipFailure, pem, startInProcessServer, waitFor } from './net-helpers.ts';
import type { InProcessServer } from './net-helpers.ts';

const V14 = { major: 1, minor: 4 } as const;
const VENDOR = 'Sekisho fault-test KMIP Server';

/** A server under the test's control: what each accepted connection does is up to `onConnection`. */
interface FakeServer {
  readonly port: number;
  /** Connections accepted so far (TCP or completed TLS handshakes). */
  readonly sockets: net.Socket[];
  close(): Promise<void>;
}

function listen(server: net.Server, sockets: net.Socket[]): Promise<FakeServer> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      resolve({
        port,
        sockets,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => {
              done();
            });
          }),
      });
    });
  });
}

/** A TCP server that accepts and then never says a word. */
function startSilentTcpServer(): Promise<FakeServer> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  return listen(server, sockets);
}

/** A TLS server (test certificates, client certificate required) run by `onConnection`. */
function startFakeTlsServer(
  pki: TestPki,
  onConnection: (socket: tls.TLSSocket, index: number) => void,
): Promise<FakeServer> {
  const sockets: net.Socket[] = [];
  const server = tls.createServer(
    {
      ca: pem(pki.caCert),
      cert: pem(pki.serverCert),
      key: pem(pki.serverKey),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket) => {
      const index = sockets.length;
      sockets.push(socket);
      socket.on('error', () => undefined);
      onConnection(socket, index);
    },
  );
  server.on('tlsClientError', () => undefined);
  return listen(server, sockets);
}

/** Calls `onMessage` with every whole TTLV message the peer sends on `socket`. */
function onMessages(socket: tls.TLSSocket, onMessage: (msg: Buffer, n: number) => void): void {
  const framer = new TtlvFramer();
  let n = 0;
  socket.on('data', (chunk: Buffer) => {
    for (const m of framer.push(chunk)) onMessage(m, n++);
  });
}

/** Number of ESTABLISHED TCP sockets whose local port is `port` (server side), from /proc. */
function establishedOn(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '01' && f[1]?.endsWith(`:${hex}`)) n++;
    }
  }
  return n;
}

async function transportFailure(p: Promise<unknown>): Promise<KmipTransportError> {
  const e: KmipError = await kmipFailure(p);
  assert.ok(
    e instanceof KmipTransportError,
    `expected KmipTransportError, got ${e.name}: ${e.message}`,
  );
  return e;
}

describe('KMIP transport faults', () => {
  let pki: TestPki;
  let core: KmipServerCore;
  const closers: (() => Promise<void> | void)[] = [];
  const newClient = (port: number, extra: Partial<KmipClientOptions> = {}): KmipClient => {
    const c = new KmipClient(clientOptions(pki, port, extra));
    closers.push(() => {
      c.close();
    });
    return c;
  };
  const fake = async (p: Promise<FakeServer>): Promise<FakeServer> => {
    const s = await p;
    closers.push(() => s.close());
    return s;
  };
  const inProcess = async (
    o: Parameters<typeof startInProcessServer>[1] = {},
  ): Promise<InProcessServer> => {
    const s = await startInProcessServer(pki, {
      identity: makeIdentity({ vendorIdentification: VENDOR }),
      ...o,
    });
    closers.push(() => s.close());
    return s;
  };
  /** The in-process core answering for a fake server. */
  const answer = (socket: tls.TLSSocket, msg: Buffer): void => {
    socket.write(core.handle(msg, { identity: 'sekisho-test-client' }));
  };

  before(() => {
    pki = makeTestPki();
    core = new KmipServerCore({
      identity: makeIdentity({ vendorIdentification: VENDOR }),
      store: new MemoryObjectStore(),
    });
  });

  after(async () => {
    // Clients first, then servers (they wait for their connections to go).
    for (const c of closers.reverse()) await c();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('a closed port fails at stage tcp with ECONNREFUSED', async () => {
    const port = await freePort();
    const e = await transportFailure(newClient(port).connect());
    assert.equal(e.code, 'KMIP_CONNECT_FAILED');
    assert.equal(e.stage, 'tcp');
    assert.equal(e.causeCode, 'ECONNREFUSED');
  });

  test('a TCP peer that never speaks TLS times out at stage tls', async () => {
    const silent = await fake(startSilentTcpServer());
    const t0 = Date.now();
    const e = await transportFailure(newClient(silent.port, { connectTimeoutMs: 300 }).connect());
    const elapsed = Date.now() - t0;
    assert.equal(e.code, 'KMIP_CONNECT_TIMEOUT');
    assert.equal(e.stage, 'tls');
    assert.ok(elapsed >= 250 && elapsed < 5_000, `gave up after ${elapsed} ms`);
    assert.equal(silent.sockets.length, 1, 'the TCP connection was made');
  });

  test('a TLS peer that never answers times out the request; the client then reconnects', async () => {
    // The first connection swallows requests; later ones are answered by a real core.
    const srv = await fake(
      startFakeTlsServer(pki, (socket, index) => {
        if (index > 0) {
          onMessages(socket, (m) => {
            answer(socket, m);
          });
        }
      }),
    );
    const client = newClient(srv.port, { protocolVersion: V14, requestTimeoutMs: 300 });
    const t0 = Date.now();
    const e = await transportFailure(client.query());
    const elapsed = Date.now() - t0;
    assert.equal(e.code, 'KMIP_REQUEST_TIMEOUT');
    assert.equal(e.stage, 'request');
    assert.ok(elapsed >= 250 && elapsed < 5_000, `gave up after ${elapsed} ms`);

    const q = await client.query();
    assert.equal(q.vendorIdentification, VENDOR);
    assert.equal(srv.sockets.length, 2, 'the second request went over a new connection');
  });

  test('an expired server certificate fails with CERT_HAS_EXPIRED', async () => {
    const srv = await inProcess({
      serverCert: { cert: pem(pki.expiredServerCert), key: pem(pki.expiredServerKey) },
    });
    const e = await transportFailure(newClient(srv.port).connect());
    assert.equal(e.code, 'KMIP_TLS_FAILED');
    assert.equal(e.stage, 'tls');
    assert.equal(e.causeCode, 'CERT_HAS_EXPIRED');
  });

  test('a server name that the certificate does not cover fails the TLS stage', async () => {
    const srv = await inProcess();
    const e = await transportFailure(
      newClient(srv.port, { servername: 'wrong.example' }).connect(),
    );
    assert.equal(e.code, 'KMIP_TLS_FAILED');
    assert.equal(e.stage, 'tls');
    assert.equal(e.causeCode, 'ERR_TLS_CERT_ALTNAME_INVALID');
    assert.match(e.message, /wrong\.example/);
    // The same server with the right name works.
    await newClient(srv.port, { servername: 'localhost' }).connect();
  });

  test('a connection the server dropped while idle is replaced transparently', async () => {
    const srv = await inProcess({ server: { idleTimeoutMs: 200 } });
    const client = newClient(srv.port);
    assert.equal((await client.query()).vendorIdentification, VENDOR);
    const first = client.tls;
    assert.ok(first);
    await waitFor('the server to drop the idle connection', () => establishedOn(srv.port) === 0);
    assert.equal((await client.query()).vendorIdentification, VENDOR);
    assert.ok(client.tls, 'connected again');
    assert.notEqual(client.tls, first, 'a fresh connection');
  });

  test('a request written to a connection that then drops is resent on a fresh one', async () => {
    // Connection 0 answers one request and hangs up on the next without a byte of response.
    const seen: number[] = [];
    const srv = await fake(
      startFakeTlsServer(pki, (socket, index) => {
        onMessages(socket, (m, n) => {
          seen.push(index);
          if (index === 0 && n > 0) socket.destroy();
          else answer(socket, m);
        });
      }),
    );
    const client = newClient(srv.port, { protocolVersion: V14 });
    assert.equal((await client.query()).vendorIdentification, VENDOR);
    assert.equal((await client.query()).vendorIdentification, VENDOR);
    assert.deepEqual(seen, [0, 0, 1], 'sent twice on connection 0, then once on connection 1');
  });

  test('a connection that drops in the middle of a response is not retried', async () => {
    const srv = await fake(
      startFakeTlsServer(pki, (socket, index) => {
        onMessages(socket, (m, n) => {
          if (index === 0 && n > 0) {
            socket.end(core.handle(m, { identity: 'x' }).subarray(0, 24));
          } else {
            answer(socket, m);
          }
        });
      }),
    );
    const client = newClient(srv.port, { protocolVersion: V14 });
    await client.query();
    const e = await transportFailure(client.query());
    assert.equal(e.code, 'KMIP_CONNECTION_CLOSED');
    assert.equal(srv.sockets.length, 1, 'no second connection for a half-answered request');
  });

  test('a peer sending non-TTLV bytes after the handshake is a protocol error', async () => {
    const srv = await fake(
      startFakeTlsServer(pki, (socket) => {
        socket.once('data', () => socket.write('HTTP/1.1 400 Bad Request\r\n\r\n'));
      }),
    );
    const e = await transportFailure(newClient(srv.port, { protocolVersion: V14 }).query());
    assert.equal(e.code, 'KMIP_PROTOCOL_ERROR');
    assert.equal(e.stage, 'request');
    assert.ok(e.cause instanceof KmipCodecError, String(e.cause));
    assert.equal(e.cause.code, 'KMIP_TTLV_BAD_TYPE');
  });

  test('a response announcing 2^31 bytes is rejected from its header, unbuffered', async () => {
    let serverSocket: tls.TLSSocket | undefined;
    const srv = await fake(
      startFakeTlsServer(pki, (socket) => {
        serverSocket = socket;
        socket.once('data', () => {
          const header = Buffer.from('42007b0180000000', 'hex');
          // A little of the announced body follows; the rest never comes.
          socket.write(Buffer.concat([header, Buffer.alloc(4096)]));
        });
      }),
    );
    const client = newClient(srv.port, { protocolVersion: V14, requestTimeoutMs: 20_000 });
    const t0 = Date.now();
    const e = await transportFailure(client.query());
    assert.ok(Date.now() - t0 < 10_000, 'rejected at once, not at the request timeout');
    assert.equal(e.code, 'KMIP_PROTOCOL_ERROR');
    assert.ok(e.cause instanceof KmipCodecError, String(e.cause));
    assert.equal(e.cause.code, 'KMIP_TTLV_SIZE_LIMIT');
    assert.ok(serverSocket);
    const s = serverSocket;
    await waitFor('the client to hang up', () => s.destroyed || s.readableEnded);
  });
});
