// sekisho start with the SSO repository in OpenLDAP (repository.store: ldap): the first
// administrator is written to the directory; a user stored in slapd with an {SSHA} password
// signs on; a wrong password is counted in the directory; slapd down → the sign-on page fails
// closed (503) and the repository log says why; slapd back → sign-on works again, same process.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSekisho, type StartedSekisho } from '../helpers/sekisho-start.ts';
import { sshaPassword, startSlapd, type Slapd } from '../helpers/slapd.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-ldap-'));
const PASSWORD = 'hanako-secret-1';
let slapd: Slapd;
let running: StartedSekisho | undefined;

before(async () => {
  slapd = await startSlapd({
    data: [
      'dn: ou=users,dc=sekisho,dc=test\nobjectClass: organizationalUnit\nou: users',
      [
        'dn: uid=hanako,ou=users,dc=sekisho,dc=test',
        'objectClass: inetOrgPerson',
        'objectClass: ssoUser',
        'uid: hanako',
        'cn: Hanako Yamada',
        'sn: Yamada',
        `userPassword: ${sshaPassword(PASSWORD)}`,
        'ssoAuthType: basicAuth',
        'ssoRoleName: staff',
      ].join('\n'),
    ].join('\n\n'),
  });
});
after(async () => {
  await running?.stop();
  await slapd.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function signOn(origin: string, ca: string, uid: string, password: string) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = https.request(
      new URL('/sso/signon', origin),
      {
        ca,
        agent: false,
        headers: { authorization: 'Basic ' + Buffer.from(`${uid}:${password}`).toString('base64') },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Waits (up to 5 s) until a log file of the data directory has a line matching `re`. */
async function waitForLine(file: string, re: RegExp): Promise<void> {
  const f = path.join(dataDir, 'logs', file);
  for (let i = 0; i < 100; i++) {
    if (existsSync(f) && re.test(readFileSync(f, 'utf8'))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(
    `${file} has no line matching ${String(re)}:\n${existsSync(f) ? readFileSync(f, 'utf8') : '(absent)'}`,
  );
}

async function attribute(dn: string, name: string): Promise<unknown> {
  const c = await slapd.rootClient();
  try {
    const { searchEntries } = await c.search(dn, { scope: 'base', attributes: [name] });
    return searchEntries[0]?.[name];
  } finally {
    await c.unbind();
  }
}

test('users from slapd sign on; failures are counted there; slapd down fails closed', async () => {
  writeFileSync(
    path.join(dataDir, 'sekisho.json'),
    JSON.stringify({
      repository: {
        store: 'ldap',
        'user-search-base': 'ou=users,dc=sekisho,dc=test',
        ldap: {
          url: slapd.ldapsUrl,
          'bind-dn': slapd.serviceDn,
          'bind-password-file': slapd.servicePasswordFile,
          'ca-file': slapd.caFile,
          'timeout-ms': 2000,
        },
      },
    }),
  );
  running = await startSekisho(dataDir);
  const { origin } = running;
  assert.doesNotMatch(running.output(), new RegExp(slapd.servicePassword));
  const ca = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  // The first administrator was written to the directory.
  assert.equal(await attribute('uid=admin,ou=users,dc=sekisho,dc=test', 'uid'), 'admin');

  assert.equal((await signOn(origin, ca, 'hanako', PASSWORD)).status, 303);
  const wrong = await signOn(origin, ca, 'hanako', 'not-it');
  assert.equal(wrong.status, 401);
  assert.equal(await attribute('uid=hanako,ou=users,dc=sekisho,dc=test', 'ssoFailureCount'), '1');

  await slapd.stop();
  const down = await signOn(origin, ca, 'hanako', PASSWORD);
  assert.equal(down.status, 503, down.body);
  assert.match(down.body, /Sign-on is not available now/);
  await waitForLine(
    'repository-access.log',
    /"hanako" Authentication\(basicAuth\) failed\. \(Connection to SSO Repository failed\) SessionID="unknown" \|/,
  );
  await waitForLine('system.log', /ERROR sso01040 Access to SSO Repository failed\. Code=\(0x01\)/);

  await slapd.start();
  // Authenticated again; session management (one sign-on per user ID) asks about the session
  // of the first sign-on.
  const back = await signOn(origin, ca, 'hanako', PASSWORD);
  assert.equal(back.status, 200, back.body);
  assert.match(back.body, /<strong>hanako<\/strong> has been signed on from/);
  assert.equal(await attribute('uid=hanako,ou=users,dc=sekisho,dc=test', 'ssoFailureCount'), '0');
});
