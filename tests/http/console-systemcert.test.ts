// The console's system-certificate form (over chsystemcert): the certificate shown as PEM, a
// new request (CSR) to copy, a renewal that changes the fingerprint, an install of something
// that is not a certificate refused without change, an unknown action refused; CSRF required.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { postRest } from '../helpers/rest.ts';
import { ADMIN_TOKEN } from './sso-harness.ts';
import {
  consoleBrowser,
  consoleCsrf,
  flashOf,
  startConsole,
  type ConsoleFixture,
} from './console-fixture.ts';

let f: ConsoleFixture;
before(async () => {
  f = await startConsole();
});
after(() => f.close());

async function fingerprint(): Promise<string> {
  const r = await postRest(f.server.origin, f.pki.serverCa.cert, ADMIN_TOKEN, 'lssystemcert', {});
  assert.equal(r.status, 200);
  const m = /fingerprint_sha256[^0-9A-F]*([0-9A-F:]{95})/.exec(JSON.stringify(r.json));
  assert.ok(m, JSON.stringify(r.json));
  return m[1]!;
}

test('the system certificate: show, request, renew, refuse a bad install, CSRF required', async () => {
  const b = await consoleBrowser(f);
  const page = await b.request('/console/keyservers');
  assert.equal(page.status, 200);
  const csrf = consoleCsrf(page.body.slice(page.body.indexOf('/console/keyservers/systemcert')));
  const post = (form: Record<string, string>) => b.post('/console/keyservers/systemcert', form);

  assert.equal((await post({ action: 'export' })).status, 403, 'no CSRF token');

  const shown = await post({ csrf, action: 'export' });
  assert.equal(shown.status, 200);
  assert.match(shown.body, /<pre class="pem">-----BEGIN CERTIFICATE-----/);

  const request = await post({ csrf, action: 'mkrequest', commonname: 'node-a' });
  assert.equal(request.status, 200);
  assert.match(request.body, /-----BEGIN CERTIFICATE REQUEST-----/);

  const before = await fingerprint();
  const renewed = await post({ csrf, action: 'mkselfsigned' });
  assert.equal(renewed.status, 303);
  assert.match(flashOf((await b.request('/console/keyservers')).body) ?? '', /updated/);
  const after = await fingerprint();
  assert.notEqual(after, before);

  const bad = await post({ csrf, action: 'install', pem: '<script>alert(1)</script>' });
  assert.equal(bad.status, 303);
  const flash = flashOf((await b.request('/console/keyservers')).body) ?? '';
  assert.doesNotMatch(flash, /updated/);
  assert.ok(!flash.includes('<script>'), flash);
  assert.equal(await fingerprint(), after, 'nothing installed');

  const unknown = await post({ csrf, action: 'rm -rf' });
  assert.equal(unknown.status, 303);
  assert.equal(await fingerprint(), after);
});
