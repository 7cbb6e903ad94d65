/**
 * `GET /auth/verify` in process (fastify inject): the three header forms of nginx and Traefik,
 * trusted proxies, the answers and their headers, and the business-log line of each request.
 * The real nginx in front of it is tests/http/forward-auth-nginx.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';

import {
  DEFAULT_TRUSTED_PROXIES,
  identityHeaderValue,
  originalUrl,
  proxyList,
  registerForwardAuth,
  signOnLocation,
} from '../../src/http/forward-auth.ts';
import { CREDENTIAL_COOKIE } from '../../src/http/sso-app.ts';
import { formatAccessLine, type BusinessRecord } from '../../src/logs/index.ts';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import { deriveKeys, newCredentialId, sealCredential } from '../../src/sso/core/credential.ts';
import { newSsoUser } from '../../src/sso/core/user.ts';
import { MemoryAccessControlRepository } from '../../src/sso/ports/memory-access-control-repository.ts';
import { MemoryUserRepository } from '../../src/sso/ports/memory-user-repository.ts';
import { BusinessServer } from '../../src/sso/servers/business-server.ts';

const SIGNON = 'https://sso.example.com/sso/signon';
const SITE = 'dc=app,dc=example,dc=com,ou=sites,o=example';
const dnOf = (uid: string): string => `uid=${uid},ou=users,o=example`;
const TIMESTAMP = /\[\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\]/;

interface Rig {
  readonly app: FastifyInstance;
  readonly records: BusinessRecord[];
  readonly errors: unknown[];
  token(uid: string): string;
  lines(): string[];
}

async function rig(
  o: { trustedProxies?: readonly string[]; denyUnknownPaths?: boolean; brokenKey?: boolean } = {},
): Promise<Rig> {
  const ac = new MemoryAccessControlRepository();
  const add = (dn: string, a: Record<string, string[]>) =>
    ac.add(parseAccessEntry({ dn, attributes: new Map(Object.entries(a)) }));
  await add('ou=sites,o=example', { objectClass: ['organizationalUnit'], ou: ['sites'] });
  await add('cn=admin,o=example', { objectClass: ['ssoRole'], cn: ['admin'] });
  await add(SITE, { objectClass: ['domain', 'ssoSite'], dc: ['app'] });
  await add(`cn=/admin/,${SITE}`, {
    objectClass: ['ssoResource'],
    cn: ['/admin/'],
    ssoRoleName: ['admin'],
  });
  const users = new MemoryUserRepository();
  for (const uid of ['alice', '田中', 'bob']) {
    await users.add(newSsoUser(dnOf(uid), uid, { ssoRoleName: uid === 'bob' ? [] : ['admin'] }));
  }
  const key = deriveKeys(new Uint8Array(randomBytes(32))).credential;
  const records: BusinessRecord[] = [];
  const errors: unknown[] = [];
  const business = new BusinessServer({
    users,
    accessControl: ac,
    credentialKey: () =>
      o.brokenKey === true ? Promise.reject(new Error('no KEK')) : Promise.resolve(key),
    ...(o.denyUnknownPaths === undefined ? {} : { denyUnknownPaths: o.denyUnknownPaths }),
    log: (r) => records.push(r),
    logRepository: () => undefined,
  });
  const app = Fastify({ logger: false });
  registerForwardAuth(app, {
    business,
    signOnUrl: SIGNON,
    ...(o.trustedProxies === undefined ? {} : { trustedProxies: o.trustedProxies }),
    onError: (e) => errors.push(e),
  });
  await app.ready();
  const now = Math.floor(Date.now() / 1000);
  return {
    app,
    records,
    errors,
    token: (uid) =>
      sealCredential(key, {
        id: newCredentialId(),
        dn: dnOf(uid),
        uid,
        method: 'basicAuth',
        issuedAt: now,
        expiresAt: now + 600,
        sessionId: null,
      }),
    lines: () => records.splice(0).map((r) => formatAccessLine(r).replace(TIMESTAMP, '[T]')),
  };
}

const cookie = (token: string): string => `other=1; ${CREDENTIAL_COOKIE}=${token}; x=y`;

describe('forward auth: the header forms', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.app.close());

  it('nginx X-Original-URL: 200 with the identity headers', async () => {
    const res = await r.app.inject({
      url: '/auth/verify',
      headers: {
        'x-original-url': 'https://app.example.com/admin/x?y=1',
        'x-real-ip': '192.0.2.7',
        'x-request-id': '0123456789abcdef0123456789abcdef',
        cookie: cookie(r.token('alice')),
      },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-sekisho-user'], 'alice');
    assert.equal(res.headers['x-sekisho-dn'], 'uid=alice,ou=users,o=example');
    assert.equal(res.headers['x-sekisho-roles'], 'admin');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(r.lines(), [
      '192.0.2.7 [T] - "alice" "https://app.example.com/admin/x?y=1" Authorization succeeded. RequestID="0123456789abcdef0123456789abcdef" |',
    ]);
  });

  it('nginx X-Original-URI + Host + X-Forwarded-Proto, and Traefik X-Forwarded-*', async () => {
    const nginx = await r.app.inject({
      url: '/auth/verify',
      headers: {
        'x-original-uri': '/admin/',
        host: 'app.example.com',
        'x-forwarded-proto': 'https',
        cookie: cookie(r.token('alice')),
      },
    });
    assert.equal(nginx.statusCode, 200);
    const traefik = await r.app.inject({
      url: '/auth/verify',
      headers: {
        'x-forwarded-method': 'POST',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example.com',
        'x-forwarded-uri': '/admin/form',
        'x-forwarded-for': '203.0.113.9, 192.0.2.8',
        cookie: cookie(r.token('bob')),
      },
    });
    assert.equal(traefik.statusCode, 403);
    assert.equal(traefik.headers['x-sekisho-user'], undefined);
    assert.deepEqual(r.lines(), [
      'unknown [T] - "alice" "https://app.example.com/admin/" Authorization succeeded. RequestID="unknown" |',
      '192.0.2.8 [T] - "bob" "https://app.example.com/admin/form" Authorization failed. (Role mismatch) RequestID="unknown" |',
    ]);
  });

  it('401 with Location and X-Sekisho-Signon carrying the original URL', async () => {
    const res = await r.app.inject({
      url: '/auth/verify',
      headers: { 'x-original-url': 'https://app.example.com/admin/a b?c=d&e' },
    });
    assert.equal(res.statusCode, 403, 'a space is refused');
    const ok = await r.app.inject({
      url: '/auth/verify',
      headers: { 'x-original-url': 'https://app.example.com/admin/a?c=d&e=%2F' },
    });
    assert.equal(ok.statusCode, 401);
    const expected =
      'https://sso.example.com/sso/signon?return=https%3A%2F%2Fapp.example.com%2Fadmin%2Fa%3Fc%3Dd%26e%3D%252F';
    assert.equal(ok.headers.location, expected);
    assert.equal(ok.headers['x-sekisho-signon'], expected);
    assert.equal(
      new URL(expected).searchParams.get('return'),
      'https://app.example.com/admin/a?c=d&e=%2F',
    );
    r.lines();
  });

  it('to Traefik, which passes the answer on, the sign-on is a redirect: 302, or 303 after a POST', async () => {
    const traefik = (method: string | undefined) => ({
      ...(method === undefined ? {} : { 'x-forwarded-method': method }),
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example.com',
      'x-forwarded-uri': '/admin/x',
    });
    const expected = `${SIGNON}?return=https%3A%2F%2Fapp.example.com%2Fadmin%2Fx`;
    for (const [method, status] of [
      ['GET', 302],
      ['HEAD', 302],
      [undefined, 302],
      ['POST', 303],
      ['DELETE', 303],
    ] as const) {
      const res = await r.app.inject({ url: '/auth/verify', headers: traefik(method) });
      assert.equal(res.statusCode, status, method);
      assert.equal(res.headers.location, expected);
      assert.equal(res.headers['x-sekisho-signon'], expected);
    }
    r.lines();
  });

  it('refuses with 400 a request with no form, two forms or a repeated header', async () => {
    const bad: Record<string, string | string[]>[] = [
      {},
      { 'x-original-url': 'https://app.example.com/admin/', 'x-forwarded-uri': '/public/' },
      { 'x-original-url': 'https://app.example.com/admin/', 'x-original-uri': '/public/' },
      { 'x-original-url': ['https://app.example.com/admin/', 'https://app.example.com/p/'] },
      { 'x-original-uri': '/admin/', host: 'app.example.com' },

      { 'x-original-uri': 'admin/', host: 'app.example.com', 'x-forwarded-proto': 'https' },
      { 'x-forwarded-uri': '/admin/', 'x-forwarded-proto': 'https' },
      { 'x-forwarded-uri': '/admin/', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'a' },
      {
        'x-forwarded-uri': '/admin/',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example.com',
        'x-forwarded-method': 'G E T',
      },
    ];
    for (const headers of bad) {
      const res = await r.app.inject({ url: '/auth/verify', headers });
      assert.equal(res.statusCode, 400, JSON.stringify(headers));
    }
    const lines = r.lines();
    assert.equal(lines.length, bad.length);
    for (const l of lines) {
      assert.equal(
        l,
        'unknown [T] - "unknown" "unknown" Authorization failed. (Invalid request) RequestID="unknown" |',
      );
    }
  });

  it('originalUrl builds the URL of each form', () => {
    assert.deepEqual(
      originalUrl({ 'x-original-uri': '/a?b', host: 'h:8443', 'x-forwarded-proto': 'HTTPS' }),
      { url: 'https://h:8443/a?b', form: 'nginx-uri' },
    );
    assert.deepEqual(
      originalUrl({
        'x-forwarded-uri': '/a',
        'x-forwarded-host': 'h',
        'x-forwarded-proto': 'https',
        host: 'ignored',
      }),
      { url: 'https://h/a', form: 'traefik' },
    );
    assert.deepEqual(originalUrl({ 'x-original-url': 'https://h/', host: 'x' }), {
      url: 'https://h/',
      form: 'nginx-url',
    });
  });
});

describe('forward auth: trusted proxies, identities, failures', () => {
  it('answers 400 to every address that is not a trusted proxy', async () => {
    const r = await rig({ trustedProxies: ['10.0.0.0/8', '2001:db8::1'] });
    const headers = {
      'x-original-url': 'https://app.example.com/admin/',
      cookie: cookie(r.token('alice')),
    };
    for (const remoteAddress of ['127.0.0.1', '192.0.2.7', '11.0.0.1', '2001:db8::2']) {
      const res = await r.app.inject({ url: '/auth/verify', headers, remoteAddress });
      assert.equal(res.statusCode, 400, remoteAddress);
      assert.equal(res.headers['x-sekisho-user'], undefined);
    }
    for (const remoteAddress of ['10.1.2.3', '::ffff:10.9.9.9', '2001:db8::1']) {
      const res = await r.app.inject({ url: '/auth/verify', headers, remoteAddress });
      assert.equal(res.statusCode, 200, remoteAddress);
    }
    assert.equal(
      r.lines()[0],
      '127.0.0.1 [T] - "unknown" "unknown" Authorization failed. (Invalid request) RequestID="unknown" |',
    );
    await r.app.close();
    assert.deepEqual(DEFAULT_TRUSTED_PROXIES, ['127.0.0.0/8', '::1']);
    for (const bad of ['localhost', '10.0.0.0/33', '::1/129', '10.0.0.1/8/1', '']) {
      assert.throws(() => proxyList([bad]), RangeError, bad);
    }
  });

  it('percent-encodes identities that are not printable ASCII', async () => {
    assert.equal(identityHeaderValue('alice'), 'alice');
    assert.equal(identityHeaderValue('田中'), '%E7%94%B0%E4%B8%AD');
    assert.equal(identityHeaderValue('100%'), '100%25');
    assert.equal(identityHeaderValue('a\r\nb'), 'a%0D%0Ab');
    const r = await rig();
    const res = await r.app.inject({
      url: '/auth/verify',
      headers: {
        'x-original-url': 'https://app.example.com/admin/',
        cookie: cookie(r.token('田中')),
      },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['x-sekisho-user'], '%E7%94%B0%E4%B8%AD');
    assert.equal(decodeURIComponent(String(res.headers['x-sekisho-dn'])), dnOf('田中'));
    await r.app.close();
  });

  it('passes an unregistered path only when told to, never an unregistered site', async () => {
    const r = await rig({ denyUnknownPaths: false });
    const path = await r.app.inject({
      url: '/auth/verify',
      headers: {
        'x-original-url': 'https://app.example.com/elsewhere',
        cookie: cookie(r.token('alice')),
      },
    });
    assert.equal(path.statusCode, 200);
    assert.equal(path.headers['x-sekisho-user'], undefined);
    const site = await r.app.inject({
      url: '/auth/verify',
      headers: { 'x-original-url': 'https://evil.example.com/admin/' },
    });
    assert.equal(site.statusCode, 403);
    await r.app.close();
  });

  it('answers 503 and tells onError when the decision fails', async () => {
    const r = await rig({ brokenKey: true });
    const res = await r.app.inject({
      url: '/auth/verify',
      headers: { 'x-original-url': 'https://app.example.com/admin/', cookie: cookie('x') },
    });
    assert.equal(res.statusCode, 503);
    assert.equal(r.errors.length, 1);
    assert.deepEqual(r.lines(), []);
    await r.app.close();
  });

  it('refuses a sign-on URL that is not https', () => {
    const app = Fastify();
    const business = new BusinessServer({
      users: new MemoryUserRepository(),
      accessControl: new MemoryAccessControlRepository(),
      credentialKey: () => Promise.reject(new Error('unused')),
      log: () => undefined,
      logRepository: () => undefined,
    });
    for (const signOnUrl of ['http://sso.example.com/', '/sso/signon', 'nonsense']) {
      assert.throws(() => {
        registerForwardAuth(app, { business, signOnUrl });
      }, RangeError);
    }
    assert.equal(
      signOnLocation('https://sso.example.com/sso/signon?lang=ja', 'https://a/b'),
      'https://sso.example.com/sso/signon?lang=ja&return=https%3A%2F%2Fa%2Fb',
    );
  });
});

it('rawHeaderMap: headers named like Object.prototype members are plain headers', async () => {
  const { rawHeaderMap } = await import('../../src/http/forward-auth.ts');
  const m = rawHeaderMap([
    '__proto__',
    'x',
    '__proto__',
    'y',
    'constructor',
    'z',
    'X-Original-URL',
    'u',
  ]);
  assert.deepEqual(Object.getPrototypeOf(m), null);
  assert.deepEqual(m['__proto__'], ['x', 'y']);
  assert.equal(m['constructor'], 'z');
  assert.equal(m['x-original-url'], 'u');
});
