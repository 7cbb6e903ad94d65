// HTTP Basic and TLS client certificates on `GET /sso/signon`, over real HTTPS: the Basic
// challenge, Basic sign-on and its malformed headers; certificate sign-on by the `cn` mapping
// (and by `mail` on a second server), certificates of an untrusted CA or of the cluster CA
// (trusted by TLS, but not a user CA), and the two steps of `basicAuthAndCertAuth`.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { IssuedCertificate } from '../../src/pki/certificates.ts';
import {
  APP_URL,
  Browser,
  INVALID_REQUEST_LINE,
  authLine,
  basicHeader,
  clientCertificate,
  dnOf,
  makePki,
  repoLine,
  setCookie,
  startSso,
  type SsoServer,
  type TestPki,
} from './sso-harness.ts';

let pki: TestPki;
let server: SsoServer;
/** The same with `certificate-mapping-attribute: mail`. */
let byMail: SsoServer;
let carolCert: IssuedCertificate;
let carolUntrusted: IssuedCertificate;
let carolCluster: IssuedCertificate;
let daveCert: IssuedCertificate;
let strangerCert: IssuedCertificate;
let erinCert: IssuedCertificate;

const CREDENTIAL = '__Host-sekisho-credential';
const CREDENTIAL_COOKIE =
  /^__Host-sekisho-credential=[A-Za-z0-9_-]{100,}; Path=\/; Secure; HttpOnly; SameSite=Lax; Max-Age=1800$/;
const CHALLENGE = 'Basic realm="Sekisho", charset="UTF-8"';
const RETURN = `?return=${encodeURIComponent(APP_URL)}`;
const ENTER = '<p class="alert" role="alert">Enter your user ID and password.</p>';
const INCORRECT = '<p class="alert" role="alert">User name or password is incorrect.</p>';
const PASSWORD_REQUIRED = '(Authentication by ID and password is required)';

/** `serialNumber=…, issuer=\"…\", subject=\"…\"` as the access log writes a certificate. */
function certificateUser(c: IssuedCertificate, issuer: string, subject: string): string {
  const serial = new X509Certificate(c.cert).serialNumber.toUpperCase();
  return `serialNumber=${serial}, issuer=\\"${issuer}\\", subject=\\"${subject}\\"`;
}

before(async () => {
  pki = await makePki();
  server = await startSso({ pki, clientCertificates: true });
  byMail = await startSso({
    pki,
    clientCertificates: true,
    config: { repository: { 'certificate-mapping-attribute': 'mail' } },
  });
  await server.addUser('alice', { password: 'alice-secret' });
  await server.addUser('jürgen', { password: 'pässwörd 日本' });
  await server.addUser('carol', { cn: ['Carol Cert'], ssoAuthType: 'certAuth' });
  await server.addUser('dave', {
    cn: ['Dave Both'],
    password: 'dave-secret',
    ssoAuthType: 'basicAuthAndCertAuth',
  });
  await byMail.addUser('erin', {
    cn: ['Erin'],
    mail: ['erin@example.com'],
    ssoAuthType: 'certAuth',
  });
  const subjectAttributes = [{ type: 'o' as const, value: 'Example' }];
  carolCert = await clientCertificate(pki.clientCa, {
    commonName: 'Carol Cert',
    subjectAttributes,
  });
  carolUntrusted = await clientCertificate(pki.otherCa, {
    commonName: 'Carol Cert',
    subjectAttributes,
  });
  carolCluster = await clientCertificate(pki.serverCa, { commonName: 'Carol Cert' });
  daveCert = await clientCertificate(pki.clientCa, { commonName: 'Dave Both' });
  strangerCert = await clientCertificate(pki.clientCa, { commonName: 'Nobody Known' });
  erinCert = await clientCertificate(pki.clientCa, {
    commonName: 'Someone Else',
    subjectAttributes: [{ type: 'ou', value: 'People' }],
    emails: ['erin@example.com'],
  });
});
after(async () => {
  await server.close();
  await byMail.close();
});

test('?basic=1 without credentials: 401 with the Basic challenge, logged as no credentials', async () => {
  const b = new Browser(server, pki);
  for (const query of ['?basic=1', `?basic=1&return=${encodeURIComponent(APP_URL)}`]) {
    const r = await b.request(`/sso/signon${query}`);
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], CHALLENGE);
    assert.ok(r.body.includes(ENTER), r.body);
    assert.equal(setCookie(r, CREDENTIAL), undefined);
  }
  assert.deepEqual(await server.takeLogs(), {
    repository: [],
    authentication: [
      authLine(
        'unknown',
        'unknown',
        'unknown',
        "Authentication(unknown) failed. (User's ID/password and certificate do not exist)",
      ),
      authLine(
        'app.example.com',
        'unknown',
        'unknown',
        "Authentication(unknown) failed. (User's ID/password and certificate do not exist)",
      ),
    ],
  });
});

test('the right Basic header: 303 with the credential; UTF-8 user IDs and passwords', async () => {
  const b = new Browser(server, pki);
  const r = await b.request(`/sso/signon${RETURN}`, {
    headers: { authorization: basicHeader('alice', 'alice-secret') },
  });
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, APP_URL);
  assert.match(setCookie(r, CREDENTIAL)!, CREDENTIAL_COOKIE);
  // The credential works on its own afterwards.
  const signedOn = await b.request('/sso/signon');
  assert.ok(signedOn.body.includes('Signed on as <strong>alice</strong>.'));

  const u = await new Browser(server, pki).request('/sso/signon?lang=ja', {
    headers: { authorization: basicHeader('jürgen', 'pässwörd 日本') },
  });
  assert.equal(u.status, 303);
  assert.equal(u.headers.location, '/sso/signon?lang=ja');
  assert.equal(server.metrics.signOns.get(['basicAuth', 'succeeded']), 2);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(dnOf('alice'), 'Authentication(basicAuth) succeeded.'),
      repoLine(dnOf('jürgen'), 'Authentication(basicAuth) succeeded.'),
    ],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        dnOf('alice'),
        'Authentication(basicAuth) succeeded.',
      ),
      authLine('unknown', '127.0.0.1', dnOf('jürgen'), 'Authentication(basicAuth) succeeded.'),
    ],
  });
});

test('a wrong Basic password: 401, the challenge again and the form', async () => {
  const b = new Browser(server, pki);
  const r = await b.request(`/sso/signon${RETURN}`, {
    headers: { authorization: basicHeader('alice', 'wrong') },
  });
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], CHALLENGE);
  assert.ok(r.body.includes(INCORRECT));
  assert.match(r.body, /name="uid" [^>]*value="alice"/);
  assert.equal(setCookie(r, CREDENTIAL), undefined);
  assert.equal((await server.user('alice')).ssoFailureCount, 1);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(dnOf('alice'), 'Authentication(basicAuth) failed. (Count up failure count)'),
      repoLine(dnOf('alice'), 'Modification succeeded. (Count up failure count)'),
    ],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        dnOf('alice'),
        `Authentication(basicAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
});

test('malformed Basic headers: 400 and an Invalid request line, no attempt', async () => {
  const b64 = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64');
  const cases: [string, string][] = [
    ['not base64', 'Basic !!!!'],
    ['base64 with a space inside', 'Basic YWxp Y2U6eA=='],
    ['no colon', `Basic ${b64('alice')}`],
    ['an empty user ID', `Basic ${b64(':alice-secret')}`],
    ['invalid UTF-8', `Basic ${b64(Buffer.from([0x61, 0xff, 0x3a, 0x78]))}`],
    ['a control character', `Basic ${b64('ali\u0001ce:alice-secret')}`],
    ['a line feed in the password', `Basic ${b64('alice:alice-secret\n')}`],
    ['no credentials at all', 'Basic'],
    ['a user ID over 256 bytes', `Basic ${b64('a'.repeat(257) + ':x')}`],
  ];
  const b = new Browser(server, pki);
  for (const [what, header] of cases) {
    const r = await b.request('/sso/signon', { headers: { authorization: header } });
    assert.equal(r.status, 400, what);
    assert.ok(r.body.includes('The request could not be accepted.'), what);
    assert.equal(r.headers['www-authenticate'], undefined, what);
    assert.equal(setCookie(r, CREDENTIAL), undefined, what);
    assert.deepEqual(
      await server.takeLogs(),
      { repository: [], authentication: [INVALID_REQUEST_LINE] },
      what,
    );
  }
  // Another scheme is not Basic: the form.
  const bearer = await b.request('/sso/signon', { headers: { authorization: 'Bearer abc' } });
  assert.equal(bearer.status, 200);
  assert.match(bearer.body, /name="password"/);
  assert.equal((await server.user('alice')).ssoFailureCount, 1);
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
});

test('a certAuth user signs on with the certificate alone (cn mapping)', async () => {
  const b = new Browser(server, pki, carolCert);
  const r = await b.request(`/sso/signon${RETURN}`);
  assert.equal(r.status, 303);
  assert.equal(r.headers.location, APP_URL);
  assert.match(setCookie(r, CREDENTIAL)!, CREDENTIAL_COOKIE);
  assert.equal(server.metrics.signOns.get(['certAuth', 'succeeded']), 1);
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(dnOf('carol'), 'Authentication(certAuth) succeeded.')],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        dnOf('carol'),
        'Authentication(certAuth) succeeded.',
      ),
    ],
  });
  // Signed on: the credential answers, no new attempt.
  const again = await b.request('/sso/signon');
  assert.ok(again.body.includes('Signed on as <strong>carol</strong>.'));
  assert.deepEqual(await server.takeLogs(), { repository: [], authentication: [] });
});

test('the mail mapping reads the subjectAltName e-mail address', async () => {
  const r = await new Browser(byMail, pki, erinCert).request('/sso/signon');
  assert.equal(r.status, 303);
  assert.deepEqual(await byMail.takeLogs(), {
    repository: [repoLine(dnOf('erin'), 'Authentication(certAuth) succeeded.')],
    authentication: [
      authLine('unknown', '127.0.0.1', dnOf('erin'), 'Authentication(certAuth) succeeded.'),
    ],
  });
});

test('a certificate of an untrusted CA: the form, logged with its serial, issuer and subject', async () => {
  const b = new Browser(server, pki, carolUntrusted);
  const r = await b.request(`/sso/signon${RETURN}`);
  assert.equal(r.status, 200);
  assert.match(r.body, /name="password"/);
  assert.equal(setCookie(r, CREDENTIAL), undefined);
  const user = certificateUser(
    carolUntrusted,
    'CN=sekisho-http-test-untrusted-ca',
    'CN=Carol Cert,O=Example',
  );
  assert.deepEqual(await server.takeLogs(), {
    repository: [],
    authentication: [
      authLine(
        'app.example.com',
        'unknown',
        user,
        `Authentication(certAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
  // Trusted by TLS as the cluster CA, but not a user CA: the same.
  const cluster = await new Browser(server, pki, carolCluster).request('/sso/signon');
  assert.equal(cluster.status, 200);
  assert.equal(setCookie(cluster, CREDENTIAL), undefined);
  assert.deepEqual(await server.takeLogs(), {
    repository: [],
    authentication: [
      authLine(
        'unknown',
        'unknown',
        certificateUser(carolCluster, 'CN=sekisho-http-test-server-ca', 'CN=Carol Cert'),
        `Authentication(certAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
});

test('a trusted certificate that maps to nobody: the form asking for a password', async () => {
  const r = await new Browser(server, pki, strangerCert).request('/sso/signon');
  assert.equal(r.status, 200);
  assert.ok(r.body.includes(ENTER), r.body);
  const user = certificateUser(strangerCert, 'CN=sekisho-http-test-client-ca', 'CN=Nobody Known');
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      `127.0.0.1 - 127.0.0.1 [T] - "${user}" Authentication(certAuth) failed. (Invalid ID or password) |`,
    ],
    authentication: [
      authLine(
        'unknown',
        '127.0.0.1',
        user,
        `Authentication(certAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
});

test('basicAuthAndCertAuth: the certificate, then the password', async () => {
  const b = new Browser(server, pki, daveCert);
  const step1 = await b.request(`/sso/signon${RETURN}`);
  assert.equal(step1.status, 200);
  assert.ok(step1.body.includes(ENTER), step1.body);
  assert.equal(step1.body.includes(INCORRECT), false);
  assert.equal(setCookie(step1, CREDENTIAL), undefined);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(dnOf('dave'), 'Authentication(certAuth) failed. (Authentication type mismatch)'),
    ],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        dnOf('dave'),
        `Authentication(certAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
  const csrf = /name="csrf" value="([^"]+)"/.exec(step1.body)![1]!;
  const step2 = await b.post('/sso/signon', {
    uid: 'dave',
    password: 'dave-secret',
    csrf,
    return: APP_URL,
  });
  assert.equal(step2.status, 303);
  assert.equal(step2.headers.location, APP_URL);
  assert.match(setCookie(step2, CREDENTIAL)!, CREDENTIAL_COOKIE);
  assert.equal(server.metrics.signOns.get(['basicAuthAndCertAuth', 'succeeded']), 1);
  assert.deepEqual(await server.takeLogs(), {
    repository: [repoLine(dnOf('dave'), 'Authentication(basicAuthAndCertAuth) succeeded.')],
    authentication: [
      authLine(
        'app.example.com',
        '127.0.0.1',
        dnOf('dave'),
        'Authentication(basicAuthAndCertAuth) succeeded.',
      ),
    ],
  });
  assert.equal((await server.user('dave')).ssoFailureCount, 0);
});

test('basicAuthAndCertAuth: the password without the certificate is refused', async () => {
  const b = new Browser(server, pki);
  const r = await b.request('/sso/signon', {
    headers: { authorization: basicHeader('dave', 'dave-secret') },
  });
  assert.equal(r.status, 401);
  assert.ok(r.body.includes(INCORRECT));
  assert.equal(setCookie(r, CREDENTIAL), undefined);
  // With another user's certificate: the two name different users, so nobody.
  const mixed = await new Browser(server, pki, carolCert).request('/sso/signon', {
    headers: { authorization: basicHeader('dave', 'dave-secret') },
  });
  assert.equal(mixed.status, 401);
  assert.deepEqual(await server.takeLogs(), {
    repository: [
      repoLine(dnOf('dave'), 'Authentication(basicAuth) failed. (Authentication type mismatch)'),
      repoLine('dave', 'Authentication(basicAuthAndCertAuth) failed. (User cannot be identified)'),
    ],
    authentication: [
      authLine(
        'unknown',
        '127.0.0.1',
        dnOf('dave'),
        'Authentication(basicAuth) failed. (Authentication by certificate is required)',
      ),
      authLine(
        'unknown',
        '127.0.0.1',
        'dave',
        `Authentication(basicAuthAndCertAuth) failed. ${PASSWORD_REQUIRED}`,
      ),
    ],
  });
});
