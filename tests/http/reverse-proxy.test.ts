// The reverse proxy against real upstream servers on 127.0.0.1 (ephemeral ports), with the real
// business server deciding: streaming both ways without buffering, keep-alive reuse, WebSocket,
// header hygiene, refusals, upstream failures and client aborts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { CREDENTIAL_COOKIE } from '../../src/http/sso-app.ts';
import {
  createReverseProxy,
  listenReverseProxy,
  type ListeningProxy,
} from '../../src/http/reverse-proxy.ts';
import { issueCertificate, makeCa } from '../../src/pki/certificates.ts';
import { freePort } from '../helpers/ports.ts';
import {
  businessFixture,
  dnOf,
  FixedVerifier,
  PUBLIC_ORIGIN,
  SIGN_ON_URL,
  type BusinessFixture,
} from './business-fixture.ts';

const MiB = 1024 * 1024;
const BIG = 20 * MiB;
const CHUNK = 64 * 1024;
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC11B65';

/** Resolves when `cond()` holds, checked each time `emitter` reports progress. */
function waitFor(cond: () => boolean, listen: (wake: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (cond()) {
      resolve();
      return;
    }
    listen(() => {
      if (cond()) resolve();
    });
  });
}

/** A deterministic byte pattern: chunk i is filled with (i mod 251). */
function chunkOf(i: number): Buffer {
  return Buffer.alloc(CHUNK, i % 251);
}

function sha256Of(n: number): string {
  const h = createHash('sha256');
  for (let i = 0; i < n / CHUNK; i++) h.update(chunkOf(i));
  return h.digest('hex');
}

/** One minimal RFC 6455 frame from the server (FIN, unmasked). */
function frame(opcode: number, payload: Buffer): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, len])
      : Buffer.from([0x80 | opcode, 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, payload]);
}

/** One minimal RFC 6455 frame from the client (FIN, masked). */
function maskedFrame(opcode: number, payload: Buffer): Buffer {
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  const body = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x80 | opcode, 0x80 | len])
      : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, mask, body]);
}

/** Reads frames (masked or not, payload < 64 KiB) and calls `onFrame` for each. */
function frameReader(onFrame: (opcode: number, payload: Buffer) => void): (data: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (data) => {
    buf = Buffer.concat([buf, data]);
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0]! & 0x0f;
      const masked = (buf[1]! & 0x80) !== 0;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      }
      const maskLen = masked ? 4 : 0;
      if (buf.length < off + maskLen + len) return;
      const mask = buf.subarray(off, off + maskLen);
      const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      buf = buf.subarray(off + maskLen + len);
      onFrame(opcode, payload);
    }
  };
}

interface Upstream {
  readonly server: http.Server;
  port: number;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  /** Sockets that carried each path's requests. */
  readonly sockets: Map<string, Set<unknown>>;
  /** Upgrade requests' headers. */
  readonly upgrades: IncomingMessage['headers'][];
  /** Told when the next request of /hang or /forever arrives, and when it closes. */
  pending: { onArrive: () => void; onClose: () => void } | undefined;
  /** Set by a download test: the client has seen this many bytes. */
  clientReceived: number;
  readonly progress: Set<() => void>;
}

function startUpstream(): Promise<Upstream> {
  const progress = new Set<() => void>();
  const u: Upstream = {
    server: http.createServer(),
    port: 0,
    hits: new Map(),
    sockets: new Map(),
    upgrades: [],
    pending: undefined,
    clientReceived: 0,
    progress,
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    u.hits.set(path, (u.hits.get(path) ?? 0) + 1);
    const socks = u.sockets.get(path) ?? new Set();
    socks.add(req.socket);
    u.sockets.set(path, socks);
    switch (path) {
      case '/echo-headers':
        req.resume();
        res.setHeader('content-type', 'application/json');
        res.setHeader('connection', 'keep-alive, x-upstream-hop');
        res.setHeader('x-upstream-hop', 'secret');
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.end(JSON.stringify({ headers: req.headers, url: req.url }));
        return;
      case '/echo':
        // Streams the body back as it arrives.
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.flushHeaders();
        req.pipe(res);
        return;
      case '/download': {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-length': BIG,
        });
        const half = BIG / CHUNK / 2;
        for (let i = 0; i < BIG / CHUNK; i++) {
          if (i === half) {
            // Not one byte more until the client has seen the first MiB: a proxy that
            // buffered the whole response would wait here for ever.
            await waitFor(
              () => u.clientReceived >= MiB,
              (wake) => progress.add(wake),
            );
          }
          if (!res.write(chunkOf(i))) await once(res, 'drain');
        }
        res.end();
        return;
      }
      case '/hang':
      case '/forever': {
        const p = u.pending!;
        const closed = once(res, 'close').then(() => undefined);
        void closed.then(() => {
          p.onClose();
        });
        p.onArrive();
        if (path === '/hang') return;
        res.writeHead(200);
        for (let i = 0; !res.destroyed; i++) {
          if (!res.write(chunkOf(i))) {
            await Promise.race([once(res, 'drain'), closed]);
          }
        }
        return;
      }
      default:
        req.resume();
        res.end(`ok ${req.method ?? ''} ${req.url ?? ''}`);
    }
  };
  u.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  });
  u.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    u.upgrades.push(req.headers);
    const key = req.headers['sec-websocket-key'] ?? '';
    const accept = createHash('sha1')
      .update(key + WS_GUID)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.on('error', () => socket.destroy());
    socket.on(
      'data',
      frameReader((opcode, payload) => {
        if (opcode === 0x1) socket.write(frame(0x1, Buffer.from(`echo: ${payload.toString()}`)));
        else if (opcode === 0x8) socket.end(frame(0x8, payload));
      }),
    );
  });
  return new Promise((resolve) => {
    u.server.listen(0, '127.0.0.1', () => {
      const addr = u.server.address();
      u.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      resolve(u);
    });
  });
}

/** Promises of the next /hang or /forever request's arrival and close at the upstream. */
function expectPending(u: Upstream): { arrived: Promise<void>; closed: Promise<void> } {
  const arrive = Promise.withResolvers<undefined>();
  const close = Promise.withResolvers<undefined>();
  u.pending = {
    onArrive: () => {
      arrive.resolve(undefined);
    },
    onClose: () => {
      close.resolve(undefined);
    },
  };
  return { arrived: arrive.promise, closed: close.promise };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function get(
  url: string,
  headers: http.OutgoingHttpHeaders = {},
  agent?: http.Agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: agent ?? false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(parts).toString(),
        });
      });
    });
    req.on('error', reject);
  });
}

const json = (text: string): { headers: Record<string, string>; url: string } => {
  const v: unknown = JSON.parse(text);
  assert.ok(typeof v === 'object' && v !== null && 'headers' in v && 'url' in v);
  const { headers, url } = v;
  assert.ok(typeof headers === 'object' && headers !== null && typeof url === 'string');
  return {
    headers: Object.fromEntries(Object.entries(headers).map(([k, x]) => [k, String(x)])),
    url,
  };
};

describe('reverse proxy', () => {
  let fx: BusinessFixture;
  let upstream: Upstream;
  let proxy: ListeningProxy;
  const errors: { where: string; error: unknown }[] = [];
  let alice: string;
  let bob: string;

  before(async () => {
    fx = await businessFixture();
    upstream = await startUpstream();
    proxy = await listenReverseProxy(
      createReverseProxy({
        verifier: fx.server,
        upstream: `http://127.0.0.1:${String(upstream.port)}`,
        publicOrigin: PUBLIC_ORIGIN,
        signOnUrl: SIGN_ON_URL,
        onError: (error, where) => errors.push({ where, error }),
      }),
      { host: '127.0.0.1', port: 0 },
    );
    alice = `${CREDENTIAL_COOKIE}=${fx.token('alice')}`;
    bob = `${CREDENTIAL_COOKIE}=${fx.token('bob')}`;
  });
  after(async () => {
    await proxy.close();
    upstream.server.closeAllConnections();
    await new Promise((r) => upstream.server.close(r));
  });

  it('forwards an allowed request with the identity, and drops what the client may not set', async () => {
    const a = await get(`${proxy.url}/echo-headers?x=1`, {
      cookie: `theme=dark; ${alice}; lang=ja`,
      'x-sekisho-user': 'mallory',
      'X-Sekisho-Roles': 'admin',
      'x-sekisho-anything': '1',
      X_Sekisho_User: 'mallory',
      'x-sekisho_dn': 'cn=mallory',
      connection: 'keep-alive, x-hop',
      'x-hop': 'drop me',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-forwarded-for': '198.51.100.66',
      'x-forwarded-host': 'evil.example',
      'x-kept': 'yes',
    });
    assert.equal(a.status, 200);
    const { headers: h, url } = json(a.body);
    assert.equal(url, '/echo-headers?x=1');
    assert.equal(h['x-sekisho-user'], 'alice');
    assert.equal(h['x-sekisho-dn'], dnOf('alice'));
    assert.equal(h['x-sekisho-roles'], 'staff');
    assert.equal(h['x-sekisho-anything'], undefined);
    assert.equal(h['x_sekisho_user'], undefined, 'the underscore spelling is dropped too');
    assert.equal(h['x-sekisho_dn'], undefined);
    for (const dropped of ['x-hop', 'keep-alive', 'te', 'proxy-authorization'])
      assert.equal(h[dropped], undefined, dropped);
    assert.equal(h['x-kept'], 'yes');
    assert.equal(h['cookie'], 'theme=dark; lang=ja', 'the credential is not forwarded');
    assert.equal(h['x-forwarded-for'], '127.0.0.1');
    assert.equal(h['x-forwarded-proto'], 'https');
    assert.equal(h['x-forwarded-host'], 'app.example.com');
    assert.equal(h['host'], `127.0.0.1:${String(upstream.port)}`);
    assert.match(h['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    // The response: hop-by-hop headers of the upstream dropped, both cookies kept.
    assert.equal(a.headers['x-upstream-hop'], undefined);
    assert.deepEqual(a.headers['set-cookie'], ['a=1', 'b=2']);
    const rec = fx.records.at(-1)!;
    assert.equal(rec.result.outcome, 'succeeded');
    assert.equal(rec.resource, `${PUBLIC_ORIGIN}/echo-headers?x=1`);
    assert.equal(rec.requestId, h['x-request-id']);
  });

  it('sends a browser without credential to sign on, with the original URL', async () => {
    const before = upstream.hits.get('/echo-headers') ?? 0;
    const a = await get(`${proxy.url}/echo-headers?q=a%20b&r=1`);
    assert.equal(a.status, 302);
    assert.equal(
      a.headers.location,
      `${SIGN_ON_URL}?return=${encodeURIComponent(`${PUBLIC_ORIGIN}/echo-headers?q=a%20b&r=1`)}`,
    );
    assert.equal(a.headers['cache-control'], 'no-store');
    assert.equal(upstream.hits.get('/echo-headers') ?? 0, before);
  });

  it('refuses a user without the role (403 page), and an admin path to staff', async () => {
    const a = await get(`${proxy.url}/echo-headers`, { cookie: bob });
    assert.equal(a.status, 403);
    assert.match(a.headers['content-type'] ?? '', /^text\/html/);
    assert.match(a.body, /<h1>Forbidden<\/h1>/);
    const b = await get(`${proxy.url}/admin/x`, { cookie: alice });
    assert.equal(b.status, 403);
    assert.equal(upstream.hits.get('/admin/x'), undefined);
  });

  it('refuses an identity holding CR or LF (403), without reaching the upstream', async () => {
    const evil = new FixedVerifier({
      kind: 'allow',
      uid: 'eve\r\nX-Sekisho-Roles: admin',
      dn: dnOf('eve'),
      roles: ['staff'],
    });
    const p = await listenReverseProxy(
      createReverseProxy({
        verifier: evil,
        upstream: `http://127.0.0.1:${String(upstream.port)}`,
        publicOrigin: PUBLIC_ORIGIN,
        signOnUrl: SIGN_ON_URL,
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const before = upstream.hits.get('/echo-headers') ?? 0;
      const a = await get(`${p.url}/echo-headers`);
      assert.equal(a.status, 403);
      assert.equal(upstream.hits.get('/echo-headers') ?? 0, before);
      assert.equal(evil.seen.length, 1);
      // Values outside printable ASCII travel percent-encoded, as forward authentication sends them.
      const ja = new FixedVerifier({ kind: 'allow', uid: '山田', dn: 'uid=山田,o=x', roles: [] });
      const q = await listenReverseProxy(
        createReverseProxy({
          verifier: ja,
          upstream: `http://127.0.0.1:${String(upstream.port)}`,
          publicOrigin: PUBLIC_ORIGIN,
          signOnUrl: SIGN_ON_URL,
        }),
        { host: '127.0.0.1', port: 0 },
      );
      try {
        const { headers: h } = json((await get(`${q.url}/echo-headers`)).body);
        assert.equal(h['x-sekisho-user'], '%E5%B1%B1%E7%94%B0');
        assert.equal(decodeURIComponent(h['x-sekisho-dn']!), 'uid=山田,o=x');
        assert.equal(h['x-sekisho-roles'], '');
      } finally {
        await q.close();
      }
    } finally {
      await p.close();
    }
  });

  it('streams 20 MB up and back without buffering either way', async () => {
    let received = 0;
    const hash = createHash('sha256');
    const wakers = new Set<() => void>();
    const total = BIG / CHUNK;
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < total; i++) {
        if (i === total / 2) {
          // Half sent: go on only once 1 MiB has come back. Buffering the request (or the
          // response) anywhere would keep this from ever happening.
          await waitFor(
            () => received >= MiB,
            (wake) => wakers.add(wake),
          );
        }
        yield chunkOf(i);
      }
    }
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${proxy.url}/echo`,
        {
          method: 'POST',
          agent: false,
          headers: { cookie: alice, 'content-type': 'application/octet-stream' },
        },
        (res) => {
          res.on('data', (c: Buffer) => {
            received += c.length;
            hash.update(c);
            for (const w of wakers) w();
          });
          res.on('end', () => {
            resolve(res.statusCode ?? 0);
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      Readable.from(body()).pipe(req);
    });
    assert.equal(status, 200);
    assert.equal(received, BIG);
    assert.equal(hash.digest('hex'), sha256Of(BIG));
  });

  it('streams a 20 MB download as it is produced', async () => {
    upstream.clientReceived = 0;
    const hash = createHash('sha256');
    const a = await new Promise<{ status: number; length: string | undefined }>(
      (resolve, reject) => {
        http
          .get(`${proxy.url}/download`, { agent: false, headers: { cookie: alice } }, (res) => {
            res.on('data', (c: Buffer) => {
              upstream.clientReceived += c.length;
              hash.update(c);
              for (const f of upstream.progress) f();
            });
            res.on('end', () => {
              resolve({ status: res.statusCode ?? 0, length: res.headers['content-length'] });
            });
          })
          .on('error', reject);
      },
    );
    upstream.progress.clear();
    assert.equal(a.status, 200);
    assert.equal(a.length, String(BIG));
    assert.equal(upstream.clientReceived, BIG);
    assert.equal(hash.digest('hex'), sha256Of(BIG));
  });

  it('reuses one keep-alive connection to the upstream', async () => {
    for (let i = 0; i < 6; i++) {
      const a = await get(`${proxy.url}/keepalive`, { cookie: alice });
      assert.equal(a.status, 200);
    }
    assert.equal(upstream.hits.get('/keepalive'), 6);
    assert.equal(upstream.sockets.get('/keepalive')!.size, 1);
  });

  it('joins a WebSocket after verifying its upgrade request', async () => {
    // A hand-written RFC 6455 client (§4.1 handshake, masked frames).
    const key = Buffer.from('sekisho-ws-test!').toString('base64');
    const { socket, head } = await new Promise<{ socket: Duplex; head: Buffer }>(
      (resolve, reject) => {
        const req = http.get(`${proxy.url}/ws`, {
          agent: false,
          headers: {
            cookie: alice,
            'x-sekisho-user': 'mallory',
            connection: 'Upgrade',
            upgrade: 'websocket',
            'sec-websocket-version': '13',
            'sec-websocket-key': key,
          },
        });
        req.on('upgrade', (res: IncomingMessage, sock: Duplex, rest: Buffer) => {
          assert.equal(
            res.headers['sec-websocket-accept'],
            createHash('sha1')
              .update(key + WS_GUID)
              .digest('base64'),
          );
          resolve({ socket: sock, head: rest });
        });
        req.on('response', (res) => {
          reject(new Error(`no upgrade: ${String(res.statusCode)}`));
        });
        req.on('error', reject);
      },
    );
    const messages: string[] = [];
    const closed = new Promise<number>((resolve) => {
      const read = frameReader((opcode, payload) => {
        if (opcode === 0x1) messages.push(payload.toString());
        if (opcode === 0x8) resolve(payload.readUInt16BE(0));
      });
      if (head.length > 0) read(head);
      socket.on('data', read);
    });
    socket.write(maskedFrame(0x1, Buffer.from('hello')));
    socket.write(maskedFrame(0x1, Buffer.from('x'.repeat(300))));
    await waitFor(
      () => messages.length === 2,
      (wake) => socket.on('data', wake),
    );
    const code = Buffer.alloc(2);
    code.writeUInt16BE(1000);
    socket.write(maskedFrame(0x8, code));
    assert.equal(await closed, 1000);
    socket.destroy();
    assert.deepEqual(messages, ['echo: hello', `echo: ${'x'.repeat(300)}`]);
    const h = upstream.upgrades.at(-1)!;
    assert.equal(h['x-sekisho-user'], 'alice');
    assert.equal(h['upgrade'], 'websocket');
    assert.equal(h['cookie'], undefined);
  });

  it('answers a WebSocket upgrade without credential with the sign-on redirect', async () => {
    const count = upstream.upgrades.length;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${proxy.url}/ws`, {
        agent: false,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('upgrade', () => {
        reject(new Error('upgraded without a credential'));
      });
      req.on('error', reject);
    });
    assert.equal(status, 302);
    assert.equal(upstream.upgrades.length, count);
  });

  it('answers 502 when the upstream is down', async () => {
    const port = await freePort();
    const seen: string[] = [];
    const p = await listenReverseProxy(
      createReverseProxy({
        verifier: fx.server,
        upstream: `http://127.0.0.1:${String(port)}`,
        publicOrigin: PUBLIC_ORIGIN,
        signOnUrl: SIGN_ON_URL,
        onError: (_e, where) => seen.push(where),
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const a = await get(`${p.url}/x`, { cookie: alice });
      assert.equal(a.status, 502);
      assert.match(a.body, /Bad gateway/);
      assert.deepEqual(seen, ['upstream']);
      // A POST whose body was never read answers 502 too.
      const b = await new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${p.url}/x`,
          { method: 'POST', agent: false, headers: { cookie: alice } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end(Buffer.alloc(256 * 1024));
      });
      assert.equal(b, 502);
    } finally {
      await p.close();
    }
  });

  it('cancels the upstream request when the client goes away while waiting', async () => {
    const { arrived, closed } = expectPending(upstream);
    const req = http.get(`${proxy.url}/hang`, { agent: false, headers: { cookie: alice } });
    req.on('error', () => undefined);
    await arrived;
    req.destroy();
    await closed; // the upstream saw its request go: resolved, or the test times out
  });

  it('cancels the upstream response when the client goes away mid-body', async () => {
    const { arrived, closed } = expectPending(upstream);
    const req = http.get(
      `${proxy.url}/forever`,
      { agent: false, headers: { cookie: alice } },
      (res) => {
        res.once('data', () => {
          req.destroy();
        });
      },
    );
    req.on('error', () => undefined);
    await arrived;
    await closed;
  });

  it('believes X-Forwarded-For only from a trusted proxy', async () => {
    const p = await listenReverseProxy(
      createReverseProxy({
        verifier: fx.server,
        upstream: `http://127.0.0.1:${String(upstream.port)}`,
        publicOrigin: PUBLIC_ORIGIN,
        signOnUrl: SIGN_ON_URL,
        trustForwardedFrom: ['127.0.0.1'],
      }),
      { host: '127.0.0.1', port: 0 },
    );
    try {
      const a = await get(`${p.url}/echo-headers`, {
        cookie: alice,
        'x-forwarded-for': '203.0.113.9',
      });
      assert.equal(json(a.body).headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
      assert.equal(fx.records.at(-1)!.client, '203.0.113.9');
    } finally {
      await p.close();
    }
    // The main proxy trusts nobody: the client is the peer.
    await get(`${proxy.url}/echo-headers`, { cookie: alice, 'x-forwarded-for': '203.0.113.9' });
    assert.equal(fx.records.at(-1)!.client, '127.0.0.1');
  });

  it('serves HTTPS and reaches an HTTPS upstream through its CA', async () => {
    const ca = await makeCa('sekisho-proxy-test-ca');
    const cert = await issueCertificate(ca, {
      commonName: '127.0.0.1',
      ips: ['127.0.0.1'],
      usage: 'server',
    });
    const secure = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
      res.end(`tls upstream saw ${String(req.headers['x-sekisho-user'])}`);
    });
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    const addr = secure.address();
    assert.ok(typeof addr === 'object' && addr !== null);
    const p = await listenReverseProxy(
      createReverseProxy({
        verifier: fx.server,
        upstream: `https://127.0.0.1:${String(addr.port)}`,
        upstreamCa: ca.cert,
        publicOrigin: PUBLIC_ORIGIN,
        signOnUrl: SIGN_ON_URL,
      }),
      { host: '127.0.0.1', port: 0, tls: { cert: cert.cert, key: cert.key } },
    );
    try {
      assert.match(p.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((resolve, reject) => {
        https
          .get(`${p.url}/x`, { ca: ca.cert, agent: false, headers: { cookie: alice } }, (res) => {
            let t = '';
            res.on('data', (c: Buffer) => (t += c.toString()));
            res.on('end', () => {
              resolve(t);
            });
          })
          .on('error', reject);
      });
      assert.equal(body, 'tls upstream saw alice');
    } finally {
      await p.close();
      secure.closeAllConnections();
      await new Promise((r) => secure.close(r));
    }
  });

  it('reported no upstream or verifier error in the tests above that expected none', () => {
    assert.deepEqual(
      errors.map((e) => e.where),
      [],
    );
  });
});
