/**
 * import-ldif / export-ldif with the access-control entries (§5.2): a directory administrator's
 * full tree (tests/sso/fixtures/directory.ldif) imports, exports parents first and re-imports
 * to the same store; modify and delete records work for every kind; refused records (unknown
 * class, bad parent, taken name, entries left below a delete) refuse the whole file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import type { CommandResult } from '../../src/management/output.ts';
import { argsFromArgv } from '../../src/management/runner.ts';
import { USER_COMMANDS } from '../../src/management/user-commands.ts';
import {
  authorize,
  dnKey,
  expandRoles,
  findResource,
  parentDn,
  siteForUrl,
} from '../../src/sso/core/access-control.ts';
import { SsoError } from '../../src/sso/core/errors.ts';
import { toAttributes, type UserDn } from '../../src/sso/core/user.ts';
import { parseLdif } from '../../src/sso/ldif/index.ts';

const DIRECTORY = readFileSync(new URL('fixtures/directory.ldif', import.meta.url), 'utf8');
const BASE = 'ou=interstage,o=fujitsu,dc=com';
const WWW = `dc=www,dc=example,dc=com,ou=SSOSite,${BASE}`;
const TAROU = `cn=Fujitsu Tarou,ou=User,${BASE}` as UserDn;

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function open(): OpenServices {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-ldif-acl-'));
  dirs.push(d);
  return openServices(d);
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

function lines(r: CommandResult): readonly string[] {
  if (r.output.kind !== 'message') assert.fail(`output kind ${r.output.kind}`);
  return r.output.lines;
}

/** A comparable form of the whole store: access-control entries and users. */
async function snapshot(s: OpenServices): Promise<unknown> {
  const page = await s.users.listUsers({ cursor: undefined, limit: 1000 });
  return {
    entries: await s.accessControl.list(),
    users: page.items.map((u) => [u.dn, [...toAttributes(u)]]),
  };
}

async function withDirectory(): Promise<OpenServices> {
  const s = open();
  assert.deepEqual(lines(await importLdif(s, DIRECTORY)), [
    '20 entries added, 0 modified, 0 deleted',
  ]);
  return s;
}

async function rejectsUnchanged(
  s: OpenServices,
  text: string,
  code: string,
  includes: string,
): Promise<void> {
  const before = await snapshot(s);
  await assert.rejects(importLdif(s, text), (e: unknown) => {
    assert.ok(e instanceof SsoError, String(e));
    assert.equal(e.code, code, e.message);
    assert.ok(e.message.includes(includes), e.message);
    return true;
  });
  assert.deepEqual(await snapshot(s), before);
}

void describe('import-ldif of a full directory tree', () => {
  void it('stores every kind where it belongs and drives the authorization rules', async () => {
    const s = await withDirectory();
    const ac = s.accessControl;
    assert.equal((await ac.list('container')).length, 8);
    assert.deepEqual(
      (await ac.list('role')).map((r) => r.cn),
      ['Admin', 'Auditor', 'Guest'],
    );
    const sets = await ac.list('roleSet');
    assert.deepEqual(
      sets.map((r) => [r.cn, r.ssoRoleName]),
      [
        ['Managers', ['Auditor', 'Staff', 'Retired']],
        ['Staff', ['Guest', 'Managers']],
      ],
    );
    const sites = await ac.sites();
    assert.deepEqual(
      sites.map((x) => [x.host, x.port]),
      [
        ['api.example.com', 8443],
        ['www.example.com', 443],
      ],
    );
    const container = await ac.find(`o=fujitsu,dc=com`);
    assert.ok(container?.kind === 'container');
    assert.deepEqual(container.attributes.get('description'), ['Fujitsu']);

    // The pieces together: tarou (Managers) may read / but not /admin/ of www.example.com.
    const tarou = await s.users.findByDn(TAROU);
    assert.ok(tarou);
    const effective = expandRoles(tarou.ssoRoleName, sets, await ac.list('role'));
    assert.deepEqual([...effective].sort(), ['auditor', 'guest', 'managers', 'staff']);
    const site = siteForUrl(sites, 'https://WWW.example.com/admin/index.html');
    assert.ok(site);
    const resources = await ac.resourcesOf(site.dn);
    const root = findResource(resources, '/index.html');
    const admin = findResource(resources, '/admin/index.html');
    assert.equal(root?.cn, '/');
    assert.equal(admin?.cn, '/admin/');
    assert.equal(authorize(effective, root), true);
    assert.equal(authorize(effective, admin), false);
    assert.equal(siteForUrl(sites, 'https://www.example.com:8443/'), undefined);
    assert.equal(
      siteForUrl(sites, 'https://api.example.com:8443/v1/')?.dn.startsWith('dc=api'),
      true,
    );
    s.close();
  });

  void it('exports parents first; the export re-imports to the same store and text', async () => {
    const s = await withDirectory();
    const text = await exportLdif(s);
    const records = parseLdif(text);
    assert.equal(records.length, 20);
    const seen = new Set<string>();
    for (const r of records) {
      const p = parentDn(r.dn);
      // Every parent is written before its child (dc=com, the top, has none).
      assert.ok(p === undefined || seen.has(dnKey(p)), `${r.dn} before its parent`);
      seen.add(dnKey(r.dn));
    }
    const kinds = records.map((r) => {
      if (r.changetype !== 'add') assert.fail(r.changetype);
      const classes = r.attributes
        .filter((a) => a.name === 'objectClass')
        .map((a) => String(a.value).toLowerCase());
      return (
        ['ssouser', 'ssoresource', 'ssoroleset', 'ssorole', 'ssosite'].find((c) =>
          classes.includes(c),
        ) ?? 'container'
      );
    });
    const order = ['container', 'ssosite', 'ssorole', 'ssoroleset', 'ssoresource', 'ssouser'];
    const ranks = kinds.map((k) => order.indexOf(k));
    assert.deepEqual(
      ranks,
      [...ranks].sort((a, b) => a - b),
    );
    assert.ok(
      text.includes(
        `dn: ${WWW}\nobjectClass: top\nobjectClass: domain\nobjectClass: ssoSite\ndc: www\nssoPortNumber: 443\n`,
      ),
      text,
    );

    const t = open();
    assert.deepEqual(lines(await importLdif(t, text)), ['20 entries added, 0 modified, 0 deleted']);
    assert.deepEqual(await snapshot(t), await snapshot(s));
    assert.equal(await exportLdif(t), text);
    s.close();
    t.close();
  });
});

void describe('docs/ldif.md', () => {
  void it('the directory example imports and grants / but not /admin/ to its user', async () => {
    const doc = readFileSync(new URL('../../docs/ldif.md', import.meta.url), 'utf8');
    const example = /```ldif\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(example !== undefined);
    const s = open();
    assert.deepEqual(lines(await importLdif(s, example)), [
      '11 entries added, 0 modified, 0 deleted',
    ]);
    const user = await s.users.findByUid('tarou');
    assert.ok(user);
    const ac = s.accessControl;
    const roles = expandRoles(user.ssoRoleName, await ac.list('roleSet'), await ac.list('role'));
    const site = siteForUrl(await ac.sites(), 'https://www.example.com/admin/');
    assert.ok(site);
    const resources = await ac.resourcesOf(site.dn);
    assert.equal(authorize(roles, findResource(resources, '/')!), true);
    assert.equal(authorize(roles, findResource(resources, '/admin/')!), false);
    s.close();
  });
});

void describe('import-ldif modify and delete of access-control entries', () => {
  void it('modifies a role set, a site port, a resource and a container', async () => {
    const s = await withDirectory();
    const r = await importLdif(
      s,
      `version: 1

dn: cn=Staff,ou=Role,${BASE}
changetype: modify
add: ssoRoleName
ssoRoleName: Admin
-
delete: ssoRoleName
ssoRoleName: Managers
-

dn: ${WWW}
changetype: modify
replace: ssoPortNumber
ssoPortNumber: 9443
-

dn: cn=/admin/,${WWW}
changetype: modify
replace: ssoRoleName
ssoRoleName: Auditor
ssoRoleName: Admin
-

dn: OU=Role, ${BASE}
changetype: modify
add: description
description: roles and role sets
-
`,
    );
    assert.deepEqual(lines(r), ['0 entries added, 4 modified, 0 deleted']);
    const staff = await s.accessControl.find(`cn=staff,ou=role,${BASE}`);
    assert.ok(staff?.kind === 'roleSet');
    assert.deepEqual(staff.ssoRoleName, ['Guest', 'Admin']);
    const www = await s.accessControl.find(WWW);
    assert.ok(www?.kind === 'site');
    assert.equal(www.port, 9443);
    const admin = await s.accessControl.find(`cn=/admin/,${WWW}`);
    assert.ok(admin?.kind === 'resource');
    assert.deepEqual(admin.ssoRoleName, ['Auditor', 'Admin']);
    const ou = await s.accessControl.find(`ou=Role,${BASE}`);
    assert.ok(ou?.kind === 'container');
    assert.deepEqual(ou.attributes.get('description'), ['roles and role sets']);
    s.close();
  });

  void it('deletes leaves, then the parents they were under, in one file', async () => {
    const s = await withDirectory();
    const r = await importLdif(
      s,
      `version: 1

dn: cn=/,${WWW}
changetype: delete

dn: cn=/admin/,${WWW}
changetype: delete

dn: ${WWW}
changetype: delete

dn: ${TAROU}
changetype: delete

dn: cn=Fujitsu Hanako,ou=User,${BASE}
changetype: delete

dn: ou=User,${BASE}
changetype: delete

dn: cn=Guest,ou=Role,${BASE}
changetype: delete
`,
    );
    assert.deepEqual(lines(r), ['0 entries added, 0 modified, 7 deleted']);
    assert.equal(await s.accessControl.find(WWW), undefined);
    assert.equal(await s.accessControl.find(`ou=User,${BASE}`), undefined);
    assert.equal((await s.accessControl.sites()).length, 1);
    // Staff still names Guest: unknown names are ignored (EG-123).
    const sets = await s.accessControl.list('roleSet');
    assert.deepEqual([...expandRoles(['Staff'], sets, await s.accessControl.list('role'))].sort(), [
      'auditor',
      'managers',
      'staff',
    ]);
    s.close();
  });

  void it('adds under a parent from earlier in the file, and at the top of a tree', async () => {
    const s = open();
    const r = await importLdif(
      s,
      `version: 1

dn: cn=Lone,ou=Elsewhere,o=other
objectClass: ssoRole
cn: Lone

dn: dc=intra,o=other
objectClass: domain
objectClass: ssoSite
dc: intra

dn: cn=/x/,dc=intra,o=other
objectClass: ssoResource
cn: /x/
ssoRoleName: Lone
`,
    );
    assert.deepEqual(lines(r), ['3 entries added, 0 modified, 0 deleted']);
    const [site] = await s.accessControl.sites();
    assert.equal(site?.host, 'intra');
    s.close();
  });
});

void describe('import-ldif refuses the whole file', () => {
  void it('an unknown object class: error naming record and DN, nothing stored', async () => {
    const s = open();
    const text = DIRECTORY.replace(
      `dn: cn=Guest,ou=Role,${BASE}\nobjectClass: ssoRole\n`,
      `dn: cn=Guest,ou=Role,${BASE}\nobjectClass: groupOfNames\n`,
    );
    await rejectsUnchanged(
      s,
      text,
      'SSO_ATTRIBUTE_INVALID',
      `record 6 (cn=Guest,ou=Role,${BASE}): objectClass: groupOfNames is not supported`,
    );
    assert.deepEqual(await s.accessControl.list(), []);
    assert.equal((await s.users.listUsers({ cursor: undefined, limit: 10 })).items.length, 0);
    s.close();
  });

  void it('a failure half-way (record 15 of 20) stores nothing', async () => {
    const s = open();
    // The /admin/ resource moved under the plain domain dc=example: not a site.
    const text = DIRECTORY.replace(
      `dn: cn=/admin/,${WWW}`,
      `dn: cn=/admin/,dc=example,dc=com,ou=SSOSite,${BASE}`,
    );
    await rejectsUnchanged(s, text, 'SSO_ENTRY_PARENT_INVALID', 'record 15 (cn=/admin/,');
    assert.deepEqual(await s.accessControl.list(), []);
    s.close();
  });

  void it('refuses bad parents, taken names and addresses, kind changes, non-leaf deletes', async () => {
    const s = await withDirectory();
    const add = (dn: string, ...attrs: string[]) => `dn: ${dn}\n${attrs.join('\n')}\n`;
    await rejectsUnchanged(
      s,
      add(`cn=/x/,ou=SSOSite,${BASE}`, 'objectClass: ssoResource', 'cn: /x/'),
      'SSO_ATTRIBUTE_INVALID',
      'under a site',
    );
    await rejectsUnchanged(
      s,
      add(`cn=X,${TAROU}`, 'objectClass: ssoRole', 'cn: X'),
      'SSO_ENTRY_PARENT_INVALID',
      'is a user',
    );
    await rejectsUnchanged(
      s,
      add(`uid=u,${WWW}`, 'objectClass: ssoUser', 'uid: u'),
      'SSO_ENTRY_PARENT_INVALID',
      'not under a site',
    );
    await rejectsUnchanged(
      s,
      add(`cn=X,cn=Admin,ou=Role,${BASE}`, 'objectClass: ssoRole', 'cn: X'),
      'SSO_ENTRY_PARENT_INVALID',
      'not under a role',
    );
    await rejectsUnchanged(
      s,
      add(`cn=ADMIN,${BASE}`, 'objectClass: ssoRoleSet', 'cn: ADMIN', 'ssoRoleName: Guest'),
      'SSO_ENTRY_EXISTS',
      'record 1',
    );
    await rejectsUnchanged(
      s,
      add(
        `dc=www,dc=example,dc=com,${BASE}`,
        'objectClass: domain',
        'objectClass: ssoSite',
        'dc: www',
      ),
      'SSO_ENTRY_EXISTS',
      'www.example.com:443',
    );
    await rejectsUnchanged(
      s,
      add(`cn=Admin,ou=Role,${BASE}`, 'objectClass: ssoUser', 'uid: admin'),
      'SSO_ENTRY_EXISTS',
      'the DN is a role',
    );
    await rejectsUnchanged(
      s,
      add(TAROU, 'objectClass: ssoRole', 'cn: Fujitsu Tarou'),
      'SSO_ENTRY_EXISTS',
      'the DN is a user',
    );
    await rejectsUnchanged(
      s,
      `dn: cn=Admin,ou=Role,${BASE}\nchangetype: modify\nreplace: objectClass\nobjectClass: ssoRoleSet\n-\nadd: ssoRoleName\nssoRoleName: Guest\n-\n`,
      'SSO_ATTRIBUTE_INVALID',
      'a role cannot become a roleSet',
    );
    await rejectsUnchanged(
      s,
      `dn: cn=Staff,ou=Role,${BASE}\nchangetype: modify\ndelete: ssoRoleName\n-\n`,
      'SSO_ATTRIBUTE_MISSING',
      'ssoRoleName',
    );
    await rejectsUnchanged(
      s,
      `dn: ${WWW}\nchangetype: modify\nreplace: ssoPortNumber\nssoPortNumber: 65536\n-\n`,
      'SSO_ATTRIBUTE_INVALID',
      'ssoPortNumber',
    );
    await rejectsUnchanged(
      s,
      `dn: ${WWW}\nchangetype: delete\n`,
      'SSO_ENTRY_HAS_CHILDREN',
      `cn=/,${WWW}`,
    );
    await rejectsUnchanged(
      s,
      `dn: cn=Fujitsu Hanako,ou=User,${BASE}\nchangetype: delete\n\ndn: ou=User,${BASE}\nchangetype: delete\n`,
      'SSO_ENTRY_HAS_CHILDREN',
      `record 2 (ou=User,${BASE}): ${TAROU} is below it`,
    );
    await rejectsUnchanged(
      s,
      `dn: cn=Nobody,ou=Role,${BASE}\nchangetype: delete\n`,
      'SSO_USER_NOT_FOUND',
      'record 1',
    );
    s.close();
  });
});
