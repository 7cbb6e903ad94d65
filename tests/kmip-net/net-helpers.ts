// Shared pieces of the KMIP network suites: client options from a test PKI, extra client
// certificates, an in-process Sekisho server, a raw TLS peer that speaks framed TTLV, and
// condition polling.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import {
  KmipError,
  KmipServerCore,
  KmipTlsServer,
  MemoryObjectStore,
  Operation,
  QueryFunction,
  encodeRequest,
  encodeTtlv,
  makeIdentity,
  queryRequestPayload,
} from '../../src/kmip/index.ts';
import type {
  KmipClientOptions,
  KmipObjectStore,
  KmipTlsServerOptions,
  ProtocolVersion,
  ServerIdentity,
} from '../../src/kmip/index.ts';
import type { TestPki } from '../helpers/certs.ts';

/** A client certificate and its key, as PEM text. */
export interface ClientCredentials {
  readonly cert: string;
  readonly key: string;
}

export function pem(file: string): string {
  return fs.readFileSync(file, 'utf8');
}

/** The PKI's good client certificate. */
export function goodClient(pki: TestPki): ClientCredentials {
  return { cert: pem(pki.clientCert), key: pem(pki.clientKey) };
}

/** KmipClient options for `host:port`, trusting the test CA. */
export function clientOptions(
  pki: TestPki,
  port: number,
  extra: Partial<KmipClientOptions> = {},
  creds: ClientCredentials = goodClient(pki),
): KmipClientOptions {
  return {
    host: '127.0.0.1',
    port,
    ca: pem(pki.caCert),
    cert: creds.cert,
    key: creds.key,
    connectTimeoutMs: 10_000,
    requestTimeoutMs: 10_000,
    ...extra,
  };
}

/**
 * A new client certificate (EKU clientAuth) with common name `cn`, signed by the PKI's CA
 * with the `openssl` CLI and the PKI's own openssl.cnf.
 */
export function issueClientCert(pki: TestPki, cn: string): ClientCredentials {
  const base = path.join(pki.dir, `extra-${cn}-${randomBytes(4).toString('hex')}`);
  const cnf = path.join(pki.dir, 'openssl.cnf');
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  // prettier-ignore
  run('req', '-new', '-newkey', 'rsa:2048', '-nodes', '-config', cnf, '-subj', `/CN=${cn}`,
    '-keyout', `${base}.key`, '-out', `${base}.csr`);
  // prettier-ignore
  run('x509', '-req', '-in', `${base}.csr`, '-CA', pki.caCert, '-CAkey', pki.caKey,
    '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-sha256', '-days', '30',
    '-extfile', cnf, '-extensions', 'client_ext', '-out', `${base}.crt`);
  return { cert: pem(`${base}.crt`), key: pem(`${base}.key`) };
}

/** A Sekisho KMIP server running in this process on an ephemeral loopback port. */
export interface InProcessServer {
  readonly server: KmipTlsServer;
  readonly core: KmipServerCore;
  readonly store: KmipObjectStore;
  readonly port: number;
  /** Closes the server and then the store. */
  close(): Promise<void>;
}

export async function startInProcessServer(
  pki: TestPki,
  o: {
    identity?: ServerIdentity;
    store?: KmipObjectStore;
    server?: Partial<Omit<KmipTlsServerOptions, 'core'>>;
    serverCert?: { cert: string; key: string };
  } = {},
): Promise<InProcessServer> {
  const store = o.store ?? new MemoryObjectStore();
  const core = new KmipServerCore({
    identity: o.identity ?? makeIdentity({ softwareVersion: 'test' }),
    store,
  });
  const server = new KmipTlsServer({
    host: '127.0.0.1',
    port: 0,
    ca: pem(pki.caCert),
    cert: o.serverCert?.cert ?? pem(pki.serverCert),
    key: o.serverCert?.key ?? pem(pki.serverKey),
    ...o.server,
    core,
  });
  const address = await server.listen();
  let closing: Promise<void> | undefined;
  return {
    server,
    core,
    store,
    port: address.port,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        store.close();
      })()),
  };
}

/** Encoded Query request (Query Operations, Objects, Server Information). */
export function queryRequestBytes(version: ProtocolVersion = { major: 1, minor: 4 }): Buffer {
  return encodeTtlv(
    encodeRequest({
      header: { protocolVersion: version },
      batchItems: [
        {
          operation: Operation.Query,
          payload: queryRequestPayload([
            QueryFunction.QueryOperations,
            QueryFunction.QueryServerInformation,
          ]),
        },
      ],
    }),
  );
}

/**
 * A raw TLS connection that reads back whole TTLV messages (8-byte header + announced
 * length); for feeding a server bytes no client library would send.
 */
export class RawTtlvPeer {
  readonly socket: tls.TLSSocket;
  /** Resolves when the socket has closed (either side hung up). */
  readonly closed: Promise<void>;
  /** Every error the socket reported. */
  readonly errors: Error[] = [];
  private buf = Buffer.alloc(0);
  private waiters: { resolve(b: Buffer): void; reject(e: Error): void }[] = [];
  private messages: Buffer[] = [];
  private ended = false;

  private constructor(socket: tls.TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 8) {
        const total = 8 + this.buf.readUInt32BE(4);
        if (this.buf.length < total) break;
        this.messages.push(this.buf.subarray(0, total));
        this.buf = this.buf.subarray(total);
      }
      this.flush();
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.ended = true;
        this.flush();
        resolve();
      });
    });
    socket.on('error', (e: Error) => {
      this.errors.push(e);
    });
  }

  /** Connects with the PKI's good client certificate unless told otherwise. */
  static connect(
    pki: TestPki,
    port: number,
    o: Partial<tls.ConnectionOptions> = {},
  ): Promise<RawTtlvPeer> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        ca: pem(pki.caCert),
        cert: pem(pki.clientCert),
        key: pem(pki.clientKey),
        ...o,
      });
      const onError = (e: Error): void => {
        socket.destroy();
        reject(e);
      };
      socket.once('error', onError);
      socket.once('secureConnect', () => {
        socket.removeListener('error', onError);
        resolve(new RawTtlvPeer(socket));
      });
    });
  }

  private flush(): void {
    while (this.waiters.length > 0 && this.messages.length > 0) {
      this.waiters.shift()!.resolve(this.messages.shift()!);
    }
    if (this.ended) {
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`connection closed (${this.buf.length} bytes of a message pending)`));
      }
    }
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next whole message; rejects if the connection closes first or after `timeoutMs`. */
  next(timeoutMs = 10_000): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no whole message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push({
        resolve: (b) => {
          clearTimeout(timer);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.flush();
    });
  }

  /** Sends `bytes` and returns the next message. */
  async roundTrip(bytes: Uint8Array, timeoutMs?: number): Promise<Buffer> {
    this.write(bytes);
    return this.next(timeoutMs);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Polls `condition` every 25 ms until it holds; fails after `limitMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  limitMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${limitMs} ms waiting for ${what}`);
    await new Promise((r) => {
      setTimeout(r, 25);
    });
  }
}

/** Resolves when `p` settles, at most after `ms`; true when it settled in time. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = p.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([
      settled,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          resolve(false);
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Awaits `p`, which must reject, and returns the rejection (asserting it is a KmipError). */
export async function kmipFailure(p: Promise<unknown>): Promise<KmipError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof KmipError, `expected a KmipError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection, the promise resolved');
}
