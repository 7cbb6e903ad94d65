// The sign-on page in a real browser: Debian's Chromium driven by playwright-core, with
// JavaScript switched OFF (the form must work without it), in English and Japanese, and with
// JavaScript on to prove the Content-Security-Policy lets the page render without a violation.
// The listener's certificate is from a test CA the browser does not know: the contexts ignore
// certificate errors (loopback only). The registered site app.example.com is a small HTTPS
// server of the test, to which Chromium's host resolver maps the name.
import assert from 'node:assert/strict';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { chromium, type Browser as Chromium } from 'playwright-core';
import { APP_URL, makePki, startSso, type SsoServer } from '../http/sso-harness.ts';

const CHROMIUM = '/usr/bin/chromium';
let server: SsoServer;
let browser: Chromium;
let app: https.Server;
/** Requests the application received, by URL path and query. */
const reached: string[] = [];

before(async () => {
  const pki = await makePki();
  server = await startSso({ pki });
  await server.addUser('alice', { password: 'alice-secret' });
  app = https.createServer({ cert: pki.server.cert, key: pki.server.key }, (req, res) => {
    reached.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'text/html' }).end('<p>the application</p>');
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  const port = (app.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      // Root in a container has no user namespaces for Chromium's sandbox.
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      `--host-resolver-rules=MAP app.example.com:443 127.0.0.1:${String(port)}`,
    ],
  });
});
after(async () => {
  await browser.close();
  app.close();
  await server.close();
});

test('without JavaScript: the form signs on, sets a Secure HttpOnly cookie and returns to the site', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const target = `${APP_URL}reports/?q=1`;
    await page.goto(`${server.origin}/sso/signon?return=${encodeURIComponent(target)}`);
    assert.equal(await page.title(), 'Sekisho — Sign on');
    await page.fill('input[name=uid]', 'alice');
    await page.fill('input[name=password]', 'alice-secret');
    await Promise.all([page.waitForURL(`${APP_URL}**`), page.click('button[type=submit]')]);
    assert.equal(page.url(), target);
    // (The browser may also ask the site for its icon, in its own time.)
    assert.deepEqual(
      reached.filter((u) => u !== '/favicon.ico'),
      ['/reports/?q=1'],
    );
    assert.match(await page.content(), /the application/);
    const cookie = (await context.cookies(server.origin)).find(
      (c) => c.name === '__Host-sekisho-credential',
    );
    assert.ok(cookie, 'the credential cookie is set');
    assert.equal(cookie.secure, true);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
  } finally {
    await context.close();
  }
});

test('without JavaScript: a wrong password shows the one generic message; Japanese by locale', async () => {
  const context = await browser.newContext({
    javaScriptEnabled: false,
    ignoreHTTPSErrors: true,
    locale: 'ja-JP',
  });
  try {
    const page = await context.newPage();
    await page.goto(`${server.origin}/sso/signon`);
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.equal(await page.textContent('button[type=submit]'), 'サインオン');
    await page.fill('input[name=uid]', 'alice');
    await page.fill('input[name=password]', 'wrong');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.click('button[type=submit]'),
    ]);
    assert.equal(response.status(), 401);
    assert.equal(
      (await page.textContent('[role=alert]'))?.trim(),
      'ユーザ名またはパスワードが正しくありません。',
    );
    assert.equal(await page.inputValue('input[name=uid]'), 'alice');
  } finally {
    await context.close();
  }
});

test('with JavaScript on, the page renders under its Content-Security-Policy without a violation', async () => {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  try {
    const page = await context.newPage();
    const messages: string[] = [];
    page.on('console', (m) => messages.push(m.text()));
    await page.goto(`${server.origin}/sso/signon`);
    // The one inline style is allowed by its hash: the form is laid out by it.
    const maxWidth: unknown = await page.evaluate('getComputedStyle(document.body).maxWidth');
    assert.equal(maxWidth, '448px'); // 28rem
    assert.deepEqual(
      messages.filter((m) => /Content Security Policy|Refused/i.test(m)),
      [],
    );
  } finally {
    await context.close();
  }
});
