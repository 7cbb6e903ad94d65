/**
 * End to end through a real nginx (Debian's nginx-light): nginx terminates TLS on an ephemeral
 * loopback port, asks our forward-auth endpoint with `auth_request` (HTTPS, the certificate
 * verified against the test CA with `proxy_ssl_verify on`), turns a 401 into a redirect to the
 * sign-on page (`error_page 401 = @signon`), and proxies allowed requests to a small upstream
 * that echoes what it received. The nginx configuration is the one docs/business.md shows.
 *
 * Requests are written byte for byte over TLS (no HTTP client library in between), so that path
 * tricks and injected headers reach nginx exactly as an attacker would send them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';

import { registerForwardAuth } from '../../src/http/forward-auth.ts';
import { createHttpsApp } from '../../src/http/management-api.ts';
import { CREDENTIAL_COOKIE } from '../../src/http/sso-app.ts';
import { formatAccessLine, parseBusinessLine, type BusinessRecord } from '../../src/logs/index.ts';
import { issueCertificate, makeCa, type CertificateAuthority } from '../../src/pki/certificates.ts';
import { parseAccessEntry } from '../../src/sso/core/access-control.ts';
import {
  deriveKeys,
  newCredentialId,
  sealCredential,
  type CredentialClaims,
} from '../../src/sso/core/credential.ts';
import { newSsoUser } from '../../src/sso/core/user.ts';
import { MemoryAccessControlRepository } from '../../src/sso/ports/memory-access-control-repository.ts';
import { MemoryUserRepository } from '../../src/sso/ports/memory-user-repository.ts';
import { BusinessServer } from '../../src/sso/servers/business-server.ts';
import { startNginx, type Nginx } from '../helpers/nginx.ts';

const SIGNON = 'https://sso.example.com/sso/signon';
const AUTH_NAME = 'sekisho-auth.test';
const dnOf = (uid: string): string => `uid=${uid},ou=users,o=example`;
const TIMESTAMP = /\[\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4}\]/;
const CRLF_UID = 'mallory\r\nX-Sekisho-User admin';

/** The `http { … }` servers of docs/business.md, with this test's ports and files. */
function nginxHttp(port: number, prefix: string, authPort: number, upstreamPort: number): string {
  return `
  server {
    listen 127.0.0.1:${port} ssl;
    server_name app.example.com;
    ssl_certificate ${prefix}/front.crt;
    ssl_certificate_key ${prefix}/front.key;

    location = /auth/verify {
      internal;
      proxy_pass https://127.0.0.1:${authPort}/auth/verify;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      # The site as registered, not the client's Host header (a client must not choose the site).
      proxy_set_header X-Original-URL "https://app.example.com:${port}$request_uri";
      # Only one form reaches Sekisho: clear the others a client may have sent.
      proxy_set_header X-Original-URI "";
      proxy_set_header X-Forwarded-Uri "";
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Request-ID $request_id;
      proxy_ssl_trusted_certificate ${prefix}/ca.crt;
      proxy_ssl_verify on;
      proxy_ssl_name ${AUTH_NAME};
      proxy_ssl_server_name on;
    }

    location @signon {
      return 302 $sekisho_signon;
    }

    location / {
      auth_request /auth/verify;
      auth_request_set $sekisho_user $upstream_http_x_sekisho_user;
      auth_request_set $sekisho_dn $upstream_http_x_sekisho_dn;
      auth_request_set $sekisho_roles $upstream_http_x_sekisho_roles;
      auth_request_set $sekisho_signon $upstream_http_x_sekisho_signon;
      error_page 401 = @signon;
      # Always set: an empty value removes whatever the client sent under these names.
      proxy_set_header X-Sekisho-User $sekisho_user;
      proxy_set_header X-Sekisho-DN $sekisho_dn;
      proxy_set_header X-Sekisho-Roles $sekisho_roles;
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
  }
`;
}

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: http.IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
}

interface Answer {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly raw: string;
}

let ca: CertificateAuthority;
let nginx: Nginx;
let app: FastifyInstance;
let upstream: http.Server;
const seen: Seen[] = [];
const records: BusinessRecord[] = [];
let key: Uint8Array;
/** How to stop what `before` started, in the order started (even if it failed half-way). */
const stops: (() => Promise<unknown>)[] = [];

/** Sends one request exactly as written (`lines` are header lines) and reads the answer. */
function send(
  target: string,
  lines: readonly string[] = [],
  o: { method?: string; host?: string; body?: string } = {},
): Promise<Answer> {
  const host = o.host ?? `app.example.com:${nginx.port}`;
  const body = o.body ?? '';
  const head =
    `${o.method ?? 'GET'} ${target} HTTP/1.1\r\nHost: ${host}\r\n` +
    lines.map((l) => l + '\r\n').join('') +
    (body === '' ? '' : `Content-Length: ${Buffer.byteLength(body)}\r\n`) +
    'Connection: close\r\n\r\n';
  return new Promise((resolve, reject) => {
    const socket = tls.connect(
      { host: '127.0.0.1', port: nginx.port, servername: 'app.example.com', ca: ca.cert },
      () => {
        // write, not end: a TLS close_notify before the answer makes nginx drop the request.
        socket.write(Buffer.from(head + body, 'utf8'));
      },
    );
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      const [statusLine = '', ...headerLines] = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? NaN);
      const headers = new Map<string, string>();
      for (const l of headerLines) {
        const colon = l.indexOf(':');
        headers.set(l.slice(0, colon).toLowerCase(), l.slice(colon + 1).trim());
      }
      resolve({ status, headers, raw });
    });
  });
}

function token(uid: string, claims: Partial<CredentialClaims> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  return sealCredential(key, {
    id: newCredentialId(),
    dn: dnOf(uid),
    uid,
    method: 'basicAuth',
    issuedAt: now,
    expiresAt: now + 900,
    sessionId: null,
    ...claims,
  });
}

const cookie = (t: string): string => `Cookie: ${CREDENTIAL_COOKIE}=${t}`;

/** Business-log lines since the last call; each parses, the request ID is nginx's. */
function lines(): string[] {
  return records.splice(0).map((r) => {
    const line = formatAccessLine(r);
    assert.ok(parseBusinessLine(line), line);
    return line.replace(TIMESTAMP, '[T]').replace(/RequestID="[0-9a-f]{32}"/, 'RequestID="ID"');
  });
}

const origin = (): string => `https://app.example.com:${nginx.port}`;
const line = (user: string, target: string, result: string): string =>
  `127.0.0.1 [T] - "${user}" "${origin()}${target}" ${result} RequestID="ID" |`;

before(async () => {
  ca = await makeCa('sekisho-nginx-test-ca');
  const front = await issueCertificate(ca, {
    commonName: 'app.example.com',
    dns: ['app.example.com'],
    usage: 'server',
  });
  const auth = await issueCertificate(ca, {
    commonName: AUTH_NAME,
    dns: [AUTH_NAME],
    usage: 'server',
  });

  upstream = http.createServer((req, res) => {
    seen.push({
      method: req.method,
      url: req.url,
      headers: req.headers,
      rawHeaders: req.rawHeaders,
    });
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ user: req.headers['x-sekisho-user'] ?? null }));
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise((resolve) => upstream.close(resolve)));

  const users = new MemoryUserRepository();
  const accessControl = new MemoryAccessControlRepository();
  key = deriveKeys(new Uint8Array(randomBytes(32))).credential;
  const business = new BusinessServer({
    users,
    accessControl,
    credentialKey: () => Promise.resolve(key),
    log: (r) => records.push(r),
    logRepository: () => undefined,
  });
  app = createHttpsApp({ cert: auth.cert, key: auth.key });
  registerForwardAuth(app, { business, signOnUrl: SIGNON });
  stops.push(() => app.close());
  await app.listen({ host: '127.0.0.1', port: 0 });
  const authPort = (app.server.address() as AddressInfo).port;
  const upstreamPort = (upstream.address() as AddressInfo).port;

  nginx = await startNginx({
    files: { 'front.crt': front.cert, 'front.key': front.key, 'ca.crt': ca.cert },
    http: (port, prefix) => nginxHttp(port, prefix, authPort, upstreamPort),
  });
  stops.push(() => nginx.stop());

  // The sites (app and other on nginx's port), their resources, roles and users.
  const add = (dn: string, a: Record<string, string[]>) =>
    accessControl.add(parseAccessEntry({ dn, attributes: new Map(Object.entries(a)) }));
  await add('ou=sites,o=example', { objectClass: ['organizationalUnit'], ou: ['sites'] });
  for (const role of ['admin', 'staff']) {
    await add(`cn=${role},o=example`, { objectClass: ['ssoRole'], cn: [role] });
  }
  await add('cn=ops,o=example', {
    objectClass: ['ssoRoleSet'],
    cn: ['ops'],
    ssoRoleName: ['admin', 'staff'],
  });
  for (const dc of ['app', 'other']) {
    const site = `dc=${dc},dc=example,dc=com,ou=sites,o=example`;
    await add(site, {
      objectClass: ['domain', 'ssoSite'],
      dc: [dc],
      ssoPortNumber: [String(nginx.port)],
    });
    await add(`cn=/admin/,${site}`, {
      objectClass: ['ssoResource'],
      cn: ['/admin/'],
      ssoRoleName: [dc === 'app' ? 'admin' : 'staff'],
    });
    await add(`cn=/public/,${site}`, {
      objectClass: ['ssoResource'],
      cn: ['/public/'],
      ssoRoleName: ['staff'],
    });
  }
  await users.add(newSsoUser(dnOf('alice'), 'alice', { ssoRoleName: ['ops'] }));
  await users.add(newSsoUser(dnOf('bob'), 'bob', { ssoRoleName: ['staff'] }));
  await users.add(newSsoUser(dnOf(CRLF_UID), CRLF_UID, { ssoRoleName: ['admin'] }));
  assert.deepEqual(await business.updateAccessControl(undefined), { ok: true });
});

after(async () => {
  for (const stop of stops.reverse()) await stop();
});

/** Runs `fn` and returns its result and the requests the upstream received meanwhile. */
async function upstreamSaw<T>(fn: () => Promise<T>): Promise<[T, Seen[]]> {
  const before = seen.length;
  const result = await fn();
  return [result, seen.slice(before)];
}

describe('nginx auth_request → /auth/verify', () => {
  it('a signed-on user with the role reaches the upstream, which sees who it is', async () => {
    const [a, got] = await upstreamSaw(() => send('/admin/page?x=1', [cookie(token('alice'))]));
    assert.equal(a.status, 200, a.raw);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.url, '/admin/page?x=1');
    assert.equal(got[0]!.headers['x-sekisho-user'], 'alice');
    assert.equal(got[0]!.headers['x-sekisho-dn'], dnOf('alice'));
    assert.equal(got[0]!.headers['x-sekisho-roles'], 'admin,ops,staff');
    assert.deepEqual(lines(), [line('alice', '/admin/page?x=1', 'Authorization succeeded.')]);

    const [p, post] = await upstreamSaw(() =>
      send('/admin/form', [cookie(token('alice')), 'Content-Type: text/plain'], {
        method: 'POST',
        body: 'hello',
      }),
    );
    assert.equal(p.status, 200, p.raw);
    assert.equal(post.length, 1);
    assert.equal(post[0]!.method, 'POST');
    assert.equal(post[0]!.headers['x-sekisho-user'], 'alice');
    lines();
  });

  it('a user without the role gets 403 and an "Authorization failed." line', async () => {
    const [, got] = await upstreamSaw(async () => {
      const a = await send('/admin/', [cookie(token('bob'))]);
      assert.equal(a.status, 403, a.raw);
    });
    assert.deepEqual(got, []);
    assert.deepEqual(lines(), [line('bob', '/admin/', 'Authorization failed. (Role mismatch)')]);
  });

  it('no credential: 302 to the sign-on page with the original URL to return to', async () => {
    const a = await send('/admin/x?y=1&z=%2F');
    assert.equal(a.status, 302, a.raw);
    const location = a.headers.get('location') ?? '';
    const u = new URL(location);
    assert.equal(u.origin + u.pathname, SIGNON);
    assert.equal(u.searchParams.get('return'), `${origin()}/admin/x?y=1&z=%2F`);
    assert.ok(location.startsWith(`${SIGNON}?return=https%3A%2F%2Fapp.example.com%3A`), location);
    assert.deepEqual(lines(), [
      line('unknown', '/admin/x?y=1&z=%2F', 'Authorization failed. (No credential)'),
    ]);
  });

  it('a forged or expired credential: 302 as well', async () => {
    const other = deriveKeys(new Uint8Array(randomBytes(32))).credential;
    const now = Math.floor(Date.now() / 1000);
    const forged = sealCredential(other, {
      id: newCredentialId(),
      dn: dnOf('alice'),
      uid: 'alice',
      method: 'basicAuth',
      issuedAt: now,
      expiresAt: null,
      sessionId: null,
    });
    const expired = token('alice', { issuedAt: now - 3600, expiresAt: now - 1 });
    const [, got] = await upstreamSaw(async () => {
      for (const t of [forged, expired, 'garbage']) {
        const a = await send('/admin/', [cookie(t)]);
        assert.equal(a.status, 302, a.raw);
        assert.match(
          a.headers.get('location') ?? '',
          /^https:\/\/sso\.example\.com\/sso\/signon\?return=/,
        );
      }
    });
    assert.deepEqual(got, []);
    assert.deepEqual(lines(), [
      line('unknown', '/admin/', 'Authorization failed. (Invalid credential)'),
      line('unknown', '/admin/', 'Authorization failed. (Credential expired)'),
      line('unknown', '/admin/', 'Authorization failed. (Invalid credential)'),
    ]);
  });

  it('identity headers a client sends never reach the upstream', async () => {
    const forgedHeaders = [
      'X-Sekisho-User: admin',
      'x-sekisho-user: root',
      'X-Sekisho-DN: uid=admin,o=example',
      'X-Sekisho-Roles: admin,superuser',
      'X_Sekisho_User: admin',
    ];
    const [status, got] = await upstreamSaw(async () => {
      const a = await send('/admin/', [cookie(token('alice')), ...forgedHeaders]);
      const b = await send('/public/', [cookie(token('bob')), ...forgedHeaders]);
      return [a.status, b.status];
    });
    assert.deepEqual(status, [200, 200]);
    assert.equal(got.length, 2);
    const [a, b] = got;
    assert.equal(a!.headers['x-sekisho-user'], 'alice');
    assert.equal(a!.headers['x-sekisho-dn'], dnOf('alice'));
    assert.equal(a!.headers['x-sekisho-roles'], 'admin,ops,staff');
    assert.equal(b!.headers['x-sekisho-user'], 'bob');
    assert.equal(b!.headers['x-sekisho-roles'], 'staff');
    for (const s of got) {
      const names = s.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      assert.equal(names.filter((n) => n === 'x-sekisho-user').length, 1);
      assert.ok(
        !names.some((n) => n.replace(/_/g, '-') === 'x-sekisho-user' && n !== 'x-sekisho-user'),
      );
    }
    lines();
  });

  it('forwarded headers a client sends do not change the URL that is checked', async () => {
    const [, got] = await upstreamSaw(async () => {
      for (const extra of [
        `X-Original-URL: ${origin()}/public/`,
        'X-Original-URI: /public/',
        'X-Forwarded-Uri: /public/',
        `X-Forwarded-Host: other.example.com:${nginx.port}`,
      ]) {
        const a = await send('/admin/', [cookie(token('bob')), extra]);
        assert.equal(a.status, 403, `${extra}: ${a.raw}`);
      }
      // Another registered site in the Host header: nginx still names app.example.com.
      const a = await send('/admin/', [cookie(token('bob'))], {
        host: `other.example.com:${nginx.port}`,
      });
      assert.equal(a.status, 403, a.raw);
    });
    assert.deepEqual(got, []);
    assert.deepEqual(
      lines(),
      Array(5).fill(line('bob', '/admin/', 'Authorization failed. (Role mismatch)')),
    );
  });

  it('no uid can split a header: a uid with CR LF is refused', async () => {
    const [, got] = await upstreamSaw(async () => {
      const a = await send('/admin/', [cookie(token(CRLF_UID))]);
      assert.equal(a.status, 403, a.raw);
    });
    assert.deepEqual(got, []);
    assert.deepEqual(lines(), [
      line(
        'mallory\\x0D\\x0AX-Sekisho-User admin',
        '/admin/',
        'Authorization failed. (Invalid user information)',
      ),
    ]);
  });

  it('no spelling of /admin/ lets a user without its role through nginx', async () => {
    const tricks = [
      '/ADMIN/',
      '/Admin/x',
      '/admin',
      '/%61dmin/',
      '/%41DMIN/',
      '/public/../admin/',
      '/public/./../admin/',
      '/public/%2e%2e/admin/',
      '/public/%2E%2E/admin/',
      '/public/.%2e/admin/',
      '/public/..%2fadmin/',
      '/public%2f..%2fadmin/',
      '/public/..%5cadmin/',
      '/public/..\\admin/',
      '/public/%252e%252e/admin/',
      '/public/%c0%ae%c0%ae/admin/',
      '/public/%ef%bc%8e%ef%bc%8e/admin/',
      '/public/%ef%bc%8fadmin/',
      '/\uff41dmin/',
      '/public/..;/admin/',
      '/admin;x=1/',
      '/public/%00/../admin/',
      '/admin%0d%0aX-Sekisho-User:%20admin/',
      '//admin/',
      '///admin/',
      '/./admin/',
      '/admin./',
      '/admin%2e/',
      '/admin%20/',
      '/public/%09/../admin/',
      '/../admin/',
      'https://app.example.com/admin/',
    ];
    const statuses = new Map<string, number>();
    const [, got] = await upstreamSaw(async () => {
      for (const t of tricks) statuses.set(t, (await send(t, [cookie(token('bob'))])).status);
    });
    assert.deepEqual(
      got.map((s) => s.url),
      [],
      `reached the upstream: ${JSON.stringify([...statuses])}`,
    );
    for (const [t, s] of statuses) assert.ok(s === 403 || s === 400, `${t}: ${s}`);
    // nginx refuses some itself (400); every other one is a Sekisho refusal with its line.
    const refusedBySekisho = [...statuses.values()].filter((s) => s === 403).length;
    const written = lines();
    assert.equal(written.length, refusedBySekisho);
    for (const l of written) {
      assert.match(l, /Authorization failed\. \((Role mismatch|Invalid path)\)/);
    }
    assert.ok(refusedBySekisho >= tricks.length - 5, JSON.stringify([...statuses]));
    // And bob does reach what he may see.
    assert.equal((await send('/public/x', [cookie(token('bob'))])).status, 200);
    lines();
  });
});
