import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import type { CommandResult } from '../../src/management/output.ts';
import { argsFromArgv } from '../../src/management/runner.ts';
import { USER_COMMANDS } from '../../src/management/user-commands.ts';
import { SsoError } from '../../src/sso/core/errors.ts';
import { verifyPassword } from '../../src/sso/core/password.ts';
import { toAttributes, type SsoUser, type UserDn } from '../../src/sso/core/user.ts';
import { LdifError, parseLdif } from '../../src/sso/ldif/index.ts';
import { runSekisho } from '../helpers/kmip-process.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-ldif-'));
  dirs.push(d);
  return d;
}

function open(): OpenServices {
  return openServices(tempDir());
}

function command(name: string) {
  const c = USER_COMMANDS[name];
  assert.ok(c, name);
  return c;
}

function importLdif(services: OpenServices, text: string): Promise<CommandResult> {
  const c = command('import-ldif');
  return c.run(argsFromArgv(c, ['-file', text]), { services, lang: 'en' });
}

async function exportLdif(services: OpenServices): Promise<string> {
  const c = command('export-ldif');
  const { output } = await c.run(argsFromArgv(c, []), { services, lang: 'en' });
  if (output.kind !== 'text') assert.fail(`output kind ${output.kind}`);
  return output.text;
}

async function allUsers(services: OpenServices): Promise<SsoUser[]> {
  const page = await services.users.listUsers({ cursor: undefined, limit: 1000 });
  assert.equal(page.nextCursor, undefined);
  return [...page.items];
}

/** A comparable form of the store. */
async function snapshot(services: OpenServices): Promise<unknown> {
  return (await allUsers(services)).map((u) => [u.dn, [...toAttributes(u)]]);
}

function lines(r: CommandResult): readonly string[] {
  if (r.output.kind !== 'message') assert.fail(`output kind ${r.output.kind}`);
  return r.output.lines;
}

const SSHA = '{SSHA}' + Buffer.alloc(24, 7).toString('base64');

const TWO_USERS = `version: 1

dn: uid=alice,ou=users,o=example
objectClass: top
objectClass: inetOrgPerson
objectClass: ssoUser
uid: alice
cn: Alice
sn: Liddell
mail: alice@example.com
userPassword: correct horse
ssoFailureCount: 2

dn: uid=bob,ou=users,o=example
objectClass: inetOrgPerson
objectClass: ssoUser
uid: bob
cn: Bob
userPassword: ${SSHA}
`;

const ALICE = 'uid=alice,ou=users,o=example' as UserDn;
const BOB = 'uid=bob,ou=users,o=example' as UserDn;

async function withTwo(): Promise<OpenServices> {
  const s = open();
  assert.deepEqual(lines(await importLdif(s, TWO_USERS)), [
    '2 entries added, 0 modified, 0 deleted',
  ]);
  return s;
}

/** Asserts that importing `text` fails as `check` says and leaves the store as it was. */
async function rejectsUnchanged(
  s: OpenServices,
  text: string,
  check: (e: unknown) => boolean,
): Promise<void> {
  const before = await snapshot(s);
  await assert.rejects(importLdif(s, text), (e) => {
    assert.ok(check(e), String(e));
    return true;
  });
  assert.deepEqual(await snapshot(s), before);
}

const isSso = (code: string, includes?: string) => (e: unknown) =>
  e instanceof SsoError &&
  e.code === code &&
  (includes === undefined || e.message.includes(includes));

void describe('import-ldif', () => {
  void it('adds users: clear-text passwords hashed with argon2id, {SSHA} kept verbatim', async () => {
    const s = await withTwo();
    const alice = await s.users.findByDn(ALICE);
    const bob = await s.users.findByDn(BOB);
    assert.ok(alice && bob);
    assert.match(alice.userPassword ?? '', /^\$argon2id\$/);
    assert.equal(await verifyPassword('correct horse', alice.userPassword!), true);
    assert.equal(await verifyPassword('wrong', alice.userPassword!), false);
    assert.equal(bob.userPassword, SSHA);
    assert.deepEqual(alice.mail, ['alice@example.com']);
    assert.equal(alice.ssoFailureCount, 2);
    s.close();
  });

  void it('modifies (replace mail, delete ssoFailureCount, add cn) and deletes', async () => {
    const s = await withTwo();
    const r = await importLdif(
      s,
      `version: 1

dn: ${ALICE}
changetype: modify
replace: mail
mail: a@example.org
mail: alice@example.org
-
delete: ssoFailureCount
-
add: cn
cn: Alice L.
-
replace: userPassword
userPassword: new secret
-

dn: ${BOB}
changetype: delete
`,
    );
    assert.deepEqual(lines(r), ['0 entries added, 1 modified, 1 deleted']);
    const alice = await s.users.findByDn(ALICE);
    assert.ok(alice);
    assert.deepEqual(alice.mail, ['a@example.org', 'alice@example.org']);
    assert.deepEqual(alice.cn, ['Alice', 'Alice L.']);
    assert.equal(alice.ssoFailureCount, 0);
    assert.equal(await verifyPassword('new secret', alice.userPassword!), true);
    assert.equal(await s.users.findByDn(BOB), undefined);
    s.close();
  });

  void it('accepts changetype: add among change records', async () => {
    const s = await withTwo();
    const r = await importLdif(
      s,
      `version: 1

dn: uid=carol,ou=users,o=example
changetype: add
objectClass: ssoUser
uid: carol

dn: uid=carol,ou=users,o=example
changetype: modify
add: mail
mail: carol@example.com
-
`,
    );
    assert.deepEqual(lines(r), ['1 entries added, 1 modified, 0 deleted']);
    const carol = await s.users.findByDn('uid=carol,ou=users,o=example' as UserDn);
    assert.deepEqual(carol?.mail, ['carol@example.com']);
    s.close();
  });

  void it('export then re-import into a fresh store gives the same users', async () => {
    const s = await withTwo();
    const text = await exportLdif(s);
    assert.ok(text.includes(`dn: ${ALICE}`));
    assert.ok(text.includes(SSHA), 'hashes are exported as stored');
    const t = open();
    assert.deepEqual(lines(await importLdif(t, text)), ['2 entries added, 0 modified, 0 deleted']);
    assert.deepEqual(await snapshot(t), await snapshot(s));
    assert.equal(await exportLdif(t), text);
    s.close();
    t.close();
  });

  void it('export with -file returns the LDIF as the file content', async () => {
    const s = await withTwo();
    const c = command('export-ldif');
    const r = await c.run(argsFromArgv(c, ['-file', 'out.ldif']), { services: s, lang: 'en' });
    assert.equal(r.file, await exportLdif(s));
    assert.deepEqual(lines(r), ['2 entries exported']);
    s.close();
  });

  void it('hostile values round-trip verbatim', async () => {
    const s = open();
    const dn = 'uid=evil,ou=users,o=example';
    const cn = ['*)(uid=*', `"quoted" 'single' \\ back`, '山田 太郎', ' leading space', ':colon'];
    const ldif = `version: 1

dn: ${dn}
objectClass: ssoUser
uid: evil
${cn.map((v) => `cn:: ${Buffer.from(v).toString('base64')}`).join('\n')}
mail:: ${Buffer.from('*)(mail=*').toString('base64')}
`;
    await importLdif(s, ldif);
    const u = await s.users.findByDn(dn as UserDn);
    assert.ok(u);
    assert.deepEqual(u.cn, cn);
    assert.deepEqual(u.mail, ['*)(mail=*']);
    const text = await exportLdif(s);
    const rec = parseLdif(text)[0];
    assert.ok(rec && rec.changetype === 'add');
    assert.deepEqual(
      rec.attributes.filter((a) => a.name === 'cn').map((a) => a.value),
      cn,
    );
    const t = open();
    await importLdif(t, text);
    assert.deepEqual(await snapshot(t), await snapshot(s));
    s.close();
    t.close();
  });
});

void describe('import-ldif refuses a file as a whole', () => {
  void it('malformed LDIF: LdifError, nothing changed', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `version: 1

dn: uid=carol,ou=users,o=example
objectClass: ssoUser
uid: carol

dn: uid=dave,ou=users,o=example
this line is not LDIF
`,
      (e) => e instanceof LdifError,
    );
    assert.equal(await s.users.findByDn('uid=carol,ou=users,o=example' as UserDn), undefined);
    s.close();
  });

  void it('a non-ssoUser entry: error naming record and DN, nothing changed', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `version: 1

dn: uid=carol,ou=users,o=example
objectClass: ssoUser
uid: carol

dn: cn=admins,ou=groups,o=example
objectClass: groupOfNames
cn: admins
`,
      isSso(
        'SSO_ATTRIBUTE_INVALID',
        'record 2 (cn=admins,ou=groups,o=example): objectClass: groupOfNames is not supported',
      ),
    );
    s.close();
  });

  void it('adding an existing DN (2nd record): SSO_USER_EXISTS, nothing changed', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `version: 1

dn: uid=carol,ou=users,o=example
objectClass: ssoUser
uid: carol

dn: UID=Alice,ou=users,o=example
objectClass: ssoUser
uid: alice2
`,
      isSso('SSO_USER_EXISTS', 'record 2'),
    );
    s.close();
  });

  void it('adding a taken uid, or the same DN twice in one file: nothing changed', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `dn: uid=alice2,ou=users,o=example\nobjectClass: ssoUser\nuid: alice\n`,
      isSso('SSO_USER_EXISTS', 'uid'),
    );
    await rejectsUnchanged(
      s,
      `dn: uid=c,o=x\nobjectClass: ssoUser\nuid: c\n\ndn: uid=c,o=x\nobjectClass: ssoUser\nuid: c2\n`,
      isSso('SSO_USER_EXISTS', 'record 2'),
    );
    s.close();
  });

  void it('modify or delete of an unknown DN: SSO_USER_NOT_FOUND, nothing changed', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `version: 1

dn: ${ALICE}
changetype: modify
replace: mail
mail: new@example.com
-

dn: uid=nobody,o=example
changetype: modify
replace: mail
mail: x@example.com
-
`,
      isSso('SSO_USER_NOT_FOUND', 'record 2'),
    );
    await rejectsUnchanged(
      s,
      `version: 1

dn: ${BOB}
changetype: delete

dn: ${BOB}
changetype: delete
`,
      isSso('SSO_USER_NOT_FOUND', 'record 2'),
    );
    s.close();
  });

  void it('unknown attributes, refused password schemes and lockout settings are refused', async () => {
    const s = await withTwo();
    await rejectsUnchanged(
      s,
      `dn: uid=c,o=x\nobjectClass: ssoUser\nuid: c\ngivenName: C\n`,
      isSso('SSO_ATTRIBUTE_INVALID', 'givenName'),
    );
    await rejectsUnchanged(
      s,
      `dn: uid=c,o=x\nobjectClass: ssoUser\nuid: c\nuserPassword: {MD5}abc\n`,
      isSso('SSO_PASSWORD_SCHEME_UNSUPPORTED', 'record 1'),
    );
    await rejectsUnchanged(
      s,
      `dn: ${BOB}\nchangetype: modify\nreplace: ssoUserStatus\nssoUserStatus: locked\n-\n`,
      isSso('SSO_ATTRIBUTE_INVALID', 'can only be cleared'),
    );
    await rejectsUnchanged(
      s,
      `dn: ${BOB}\nchangetype: modify\ndelete: objectClass\nobjectClass: ssoUser\n-\n`,
      isSso('SSO_ATTRIBUTE_INVALID', 'must keep objectClass ssoUser'),
    );
    s.close();
  });

  void it('a missing -file is a usage error', () => {
    const c = command('import-ldif');
    assert.throws(() => argsFromArgv(c, []), /file/);
  });
});

void describe('sekisho import-ldif / export-ldif (real process)', () => {
  void it('imports from a file and exports to standard output', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'users.ldif');
    writeFileSync(file, TWO_USERS);
    const dataDir = path.join(dir, 'data');
    const imp = await runSekisho(['import-ldif', '-file', file, '--data-dir', dataDir]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.equal(imp.stdout, '2 entries added, 0 modified, 0 deleted\n');
    const exp = await runSekisho(['export-ldif', '--data-dir', dataDir]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.ok(exp.stdout.includes(`dn: ${ALICE}\n`), exp.stdout);
    assert.ok(exp.stdout.includes(`userPassword: ${SSHA}\n`), exp.stdout);
    const again = await runSekisho(['import-ldif', '-file', file, '--data-dir', dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /SSO_USER_EXISTS/);
  });
});
