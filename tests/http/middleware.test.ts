// The Fastify plugin and the Express middleware in real applications on 127.0.0.1, with the
// real business server deciding: allowed (identity on the request), sign on (302), denied (403),
// an identity that cannot be handed over, a failing verifier (503), unprotected paths.
import assert from 'node:assert/strict';
import http, { type IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Verifier } from '../../src/http/business-guard.ts';
import { sekishoExpress, sekishoFastify, sekishoOf } from '../../src/http/middleware.ts';
import { CREDENTIAL_COOKIE } from '../../src/http/sso-app.ts';
import {
  businessFixture,
  dnOf,
  FixedVerifier,
  PUBLIC_ORIGIN,
  SIGN_ON_URL,
  type BusinessFixture,
} from './business-fixture.ts';

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function get(url: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: cookie === undefined ? {} : { cookie } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      })
      .on('error', reject);
  });
}

const failing: Verifier = {
  verify: () => Promise.reject(new Error('the KEK cannot be read')),
};

interface App {
  readonly url: string;
  close(): Promise<void>;
}

async function fastifyApp(verifier: Verifier, errors: unknown[] = []): Promise<App> {
  const app: FastifyInstance = Fastify();
  await app.register(
    sekishoFastify(verifier, {
      publicOrigin: PUBLIC_ORIGIN,
      signOnUrl: SIGN_ON_URL,
      passUnprotectedPaths: true,
      onError: (e) => errors.push(e),
    }),
  );
  app.get('/*', (request) => ({ url: request.url, sekisho: request.sekisho }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

async function expressApp(verifier: Verifier, errors: unknown[] = []): Promise<App> {
  const app = express();
  const api = express.Router();
  api.get('/{*rest}', (req, res) => {
    res.json({ url: req.originalUrl, mounted: req.url, sekisho: sekishoOf(req) });
  });
  // Mounted under /app/: the middleware must check the original URL, not the mounted one.
  app.use(
    '/app',
    sekishoExpress(verifier, {
      publicOrigin: PUBLIC_ORIGIN,
      signOnUrl: SIGN_ON_URL,
      onError: (e) => errors.push(e),
    }),
    api,
  );
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  assert.ok(typeof addr === 'object' && addr !== null);
  return {
    url: `http://127.0.0.1:${String(addr.port)}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const body = (a: Answer): { url: string; sekisho: unknown; mounted?: string } => {
  const v: unknown = JSON.parse(a.body);
  assert.ok(typeof v === 'object' && v !== null && 'url' in v && typeof v.url === 'string');
  return {
    url: v.url,
    sekisho: 'sekisho' in v ? v.sekisho : undefined,
    ...('mounted' in v && typeof v.mounted === 'string' ? { mounted: v.mounted } : {}),
  };
};

describe('business-server middleware', () => {
  let fx: BusinessFixture;
  let alice: string;
  let bob: string;
  before(async () => {
    fx = await businessFixture();
    alice = `${CREDENTIAL_COOKIE}=${fx.token('alice')}`;
    bob = `${CREDENTIAL_COOKIE}=${fx.token('bob')}`;
  });

  for (const [name, make] of [
    ['Fastify', fastifyApp],
    ['Express', expressApp],
  ] as const) {
    describe(name, () => {
      let app: App;
      const errors: unknown[] = [];
      before(async () => {
        app = await make(fx.server, errors);
      });
      after(() => app.close());
      const prefix = name === 'Express' ? '/app' : '';

      it('lets an allowed request through with request.sekisho', async () => {
        const a = await get(`${app.url}${prefix}/page?x=1`, `lang=ja; ${alice}`);
        assert.equal(a.status, 200);
        const b = body(a);
        assert.deepEqual(b.sekisho, { uid: 'alice', dn: dnOf('alice'), roles: ['staff'] });
        assert.equal(b.url, `${prefix}/page?x=1`);
        if (name === 'Express') assert.equal(b.mounted, '/page?x=1');
        const rec = fx.records.at(-1)!;
        assert.equal(rec.resource, `${PUBLIC_ORIGIN}${prefix}/page?x=1`);
        assert.equal(rec.result.outcome, 'succeeded');
        assert.equal(rec.client, '127.0.0.1');
      });

      it('sends a browser without credential to sign on', async () => {
        const a = await get(`${app.url}${prefix}/page?x=1`);
        assert.equal(a.status, 302);
        assert.equal(
          a.headers.location,
          `${SIGN_ON_URL}?return=${encodeURIComponent(`${PUBLIC_ORIGIN}${prefix}/page?x=1`)}`,
        );
        assert.equal(a.headers['cache-control'], 'no-store');
      });

      it('refuses a user without the role (403)', async () => {
        const a = await get(`${app.url}${prefix}/page`, bob);
        assert.equal(a.status, 403);
        assert.match(a.headers['content-type'] ?? '', /^text\/html/);
        assert.match(a.body, /Forbidden/);
        if (name === 'Fastify') assert.equal((await get(`${app.url}/admin/`, alice)).status, 403);
      });

      it('answers 503 when the verifier fails', async () => {
        const broken = await make(failing, errors);
        try {
          const a = await get(`${broken.url}${prefix}/page`, alice);
          assert.equal(a.status, 503);
          assert.match(a.body, /cannot be checked/);
          assert.ok(errors.some((e) => e instanceof Error && /KEK/.test(e.message)));
        } finally {
          await broken.close();
        }
      });

      it('refuses an identity with a line break (403) and never sets it', async () => {
        const evil = new FixedVerifier({
          kind: 'allow',
          uid: 'eve\nroot',
          dn: dnOf('eve'),
          roles: [],
        });
        const bad = await make(evil);
        try {
          const a = await get(`${bad.url}${prefix}/page`);
          assert.equal(a.status, 403);
          assert.equal(evil.seen.length, 1);
          assert.equal(evil.seen[0]!.url, `${PUBLIC_ORIGIN}${prefix}/page`);
        } finally {
          await bad.close();
        }
      });

      it('treats an unprotected path as configured (Fastify: passes; Express: 403)', async () => {
        const open = new FixedVerifier({ kind: 'unprotected', reason: 'path' });
        const o = await make(open);
        try {
          const a = await get(`${o.url}${prefix}/public`);
          if (name === 'Fastify') {
            assert.equal(a.status, 200);
            assert.equal(body(a).sekisho, null);
          } else {
            assert.equal(a.status, 403);
          }
        } finally {
          await o.close();
        }
        const site = new FixedVerifier({ kind: 'unprotected', reason: 'site' });
        const s = await make(site);
        try {
          assert.equal((await get(`${s.url}${prefix}/public`)).status, 403);
        } finally {
          await s.close();
        }
      });
    });
  }
});
