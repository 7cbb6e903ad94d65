// Sessions in a real `sekisho start` (session management on, as by default): a session survives
// a restart, the business server of the process (/auth/verify) lets it in before and after, and
// `npx sekisho ssosignoff -u` from the command line ends it at the next request.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { openServices } from '../../src/main/services.ts';
import { runSekisho } from '../helpers/kmip-process.ts';
import { startSekisho, type StartedSekisho } from '../helpers/sekisho-start.ts';
import { addAdminSite } from '../helpers/admin-site.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-sessions-'));
let running: StartedSekisho | undefined;

after(async () => {
  await running?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<{ origin: string }> {
  running = await startSekisho(dataDir);
  return running;
}

const stop = (): Promise<number | null> => running!.stop();

function get(
  origin: string,
  urlPath: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(urlPath, origin), { ca, agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

/** The data directory's CA (the listener's certificate), read after `init` made it. */
let ca = '';

test('a session survives a restart; ssosignoff from the command line ends it', async () => {
  const init = await runSekisho(['init', '--data-dir', dataDir]);
  assert.equal(init.code, 0, init.stderr);
  const password = /password ([A-Za-z0-9_-]{20})/.exec(init.stdout)?.[1];
  assert.ok(password, init.stdout);
  ca = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  // A site whose only resource needs the administrator's role.
  const services = openServices(dataDir);
  try {
    await addAdminSite(services.accessControl);
  } finally {
    services.close();
  }

  // Browsers reach this server behind a load balancer: business servers send them there.
  writeFileSync(
    path.join(dataDir, 'sekisho.json'),
    JSON.stringify({ server: { 'public-url': 'https://sso.example.com' } }),
  );
  let { origin } = await start();
  const anonymous = await get(origin, '/auth/verify', {
    'x-original-url': 'https://app.example.com/',
  });
  assert.equal(anonymous.status, 401);
  assert.equal(
    anonymous.headers['location'],
    'https://sso.example.com/sso/signon?return=https%3A%2F%2Fapp.example.com%2F',
  );
  const basic = 'Basic ' + Buffer.from(`admin:${password}`).toString('base64');
  const signed = await get(origin, '/sso/signon', { authorization: basic });
  assert.equal(signed.status, 303);
  const setCookie = (signed.headers['set-cookie'] as string[] | undefined) ?? [];
  const credential = setCookie
    .find((c) => c.startsWith('__Host-sekisho-credential='))
    ?.split(';')[0];
  assert.ok(credential, JSON.stringify(setCookie));
  const check = () =>
    get(origin, '/auth/verify', {
      'x-original-url': 'https://app.example.com/',
      cookie: credential,
    });
  const before = await check();
  assert.equal(before.status, 200);
  assert.equal(before.headers['x-sekisho-user'], 'admin');

  assert.equal(await stop(), 0);
  ({ origin } = await start());
  const afterRestart = await check();
  assert.equal(afterRestart.status, 200, 'the session survived the restart');

  const off = await runSekisho(['ssosignoff', '-u', 'admin', '--data-dir', dataDir]);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /admin/);
  // The next request: no wait for any cache.
  assert.equal((await check()).status, 401);
  assert.equal(await stop(), 0);
});
