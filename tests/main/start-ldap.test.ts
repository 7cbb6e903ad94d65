// sekisho start with the SSO repository in OpenLDAP (repository.store: ldap): the first
// administrator is written to the directory; a user stored in slapd with an {SSHA} password
// signs on; a wrong password is counted in the directory; slapd down → the sign-on page fails
// closed (503) and the repository log says why; slapd back → sign-on works again, same process.
// And with Active Directory (ldap.mode: ad, slapd holding AD-style entries): the password is
// checked by a bind as the user; wrong, empty and DN-like attempts are refused with the one
// message of a failed sign-on; the directory down → 503.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startSekisho, type StartedSekisho } from '../helpers/sekisho-start.ts';
import { AD_USERS, adUser, startAdSlapd } from '../helpers/ad-directory.ts';
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
async function waitForLine(file: string, re: RegExp, dir = dataDir): Promise<void> {
  const f = path.join(dir, 'logs', file);
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

test('Active Directory: password sign-on by a bind as the user', async () => {
  const ad = await startAdSlapd(
    [
      adUser('Hanako', {
        password: PASSWORD,
        lines: ['memberOf: CN=Staff,OU=Groups,DC=corp,DC=test'],
      }),
    ],
    // AD takes a DN with an empty password as an anonymous bind; so does this slapd.
    { allowUnauthenticatedBind: true },
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-ad-'));
  let sekisho: StartedSekisho | undefined;
  try {
    writeFileSync(
      path.join(dir, 'sekisho.json'),
      JSON.stringify({
        repository: {
          store: 'ldap',
          'user-search-base': AD_USERS,
          ldap: {
            url: ad.ldapsUrl,
            'bind-dn': ad.serviceDn,
            'bind-password-file': ad.servicePasswordFile,
            'ca-file': ad.caFile,
            mode: 'ad',
            'timeout-ms': 2000,
          },
        },
      }),
    );
    sekisho = await startSekisho(dir);
    const { origin } = sekisho;
    const ca = readFileSync(path.join(dir, 'pki', 'ca.crt'), 'utf8');
    const hanakoDn = `CN=Hanako,${AD_USERS}`;

    assert.equal((await signOn(origin, ca, 'hanako', PASSWORD)).status, 303);
    for (const [uid, password] of [
      ['hanako', 'not-it'],
      // HTTP Basic `hanako:` — an empty password, which the directory would accept.
      ['hanako', ''],
      [hanakoDn, PASSWORD],
      ['*', PASSWORD],
    ] as const) {
      const refused = await signOn(origin, ca, uid, password);
      assert.equal(refused.status, 401, `${uid}:${password}`);
      assert.match(refused.body, /User name or password is incorrect\./);
    }
    await waitForLine(
      'repository-access.log',
      /"cn=Hanako,ou=Users,dc=corp,dc=test" Authentication\(basicAuth\) failed\. \(Invalid ID or password\)/i,
      dir,
    );
    const log = readFileSync(path.join(dir, 'logs', 'repository-access.log'), 'utf8');
    assert.doesNotMatch(log, /not-it/, 'no password in the log');
    assert.doesNotMatch(log, /Modification/, 'nothing written to AD');

    await ad.stop();
    const down = await signOn(origin, ca, 'hanako', PASSWORD);
    assert.equal(down.status, 503, down.body);
    assert.match(down.body, /Sign-on is not available now/);
    await waitForLine(
      'repository-access.log',
      /"hanako" Authentication\(basicAuth\) failed\. \(Connection to SSO Repository failed\)/,
      dir,
    );
    await ad.start();
    const back = await signOn(origin, ca, 'hanako', PASSWORD);
    assert.equal(back.status, 200, back.body);
    assert.match(back.body, /<strong>hanako<\/strong> has been signed on from/);
  } finally {
    await sekisho?.stop();
    await ad.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
