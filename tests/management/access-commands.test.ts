/**
 * lsssorole, lsssoresource and whocanaccess on a repository imported from LDIF (the fixture of
 * tests/sso, with its Staff <-> Managers cycle and its unknown member), through the CLI runner and
 * through POST /rest/v1/ of the real management API: the listings, a user's roles with their
 * paths, the resource a URL falls under by the business server's rules, the users holding a
 * granting role (paged with a cursor), and refusals.
 */
import { postRest, type RestAnswer } from '../helpers/rest.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { UsageError } from '../../src/cli/args.ts';
import { openServices, type OpenServices } from '../../src/main/services.ts';
import { ACCESS_COMMANDS } from '../../src/management/access-commands.ts';
import type { ManagementServices } from '../../src/management/context.ts';
import { renderOutput, type CommandResult } from '../../src/management/output.ts';
import { argsFromArgv, runCommand } from '../../src/management/runner.ts';
import { USER_COMMANDS } from '../../src/management/user-commands.ts';
import { MANAGEMENT_COMMANDS } from '../../src/management/commands.ts';
import { SsoError } from '../../src/sso/core/errors.ts';
import { ADMIN_TOKEN, makePki, startSso, type SsoServer } from '../http/sso-harness.ts';

const FIXTURE = readFileSync(new URL('../sso/fixtures/directory.ldif', import.meta.url), 'utf8');
const BASE = 'ou=User,ou=interstage,o=fujitsu,dc=com';

/**
 * Five more users holding `admin` (lower case: names match case-insensitively; paths show the
 * registered spelling); a5 is past its validity period. The fixture's hanako holds Admin.
 */
const ADMINS = [1, 2, 3, 4, 5]
  .map(
    (i) => `
dn: uid=a${i},${BASE}
objectClass: inetOrgPerson
objectClass: ssoUser
uid: a${i}
cn: a${i}
sn: a${i}
ssoRoleName: admin
${i === 5 ? 'ssoNotAfter: 20000101000000Z\n' : ''}`,
  )
  .join('');

async function load(services: ManagementServices): Promise<void> {
  const c = USER_COMMANDS['import-ldif']!;
  await runCommand(c, argsFromArgv(c, ['-file', FIXTURE + ADMINS]), { services, lang: 'en' });
}

let services: OpenServices;
const dirs: string[] = [];
before(async () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-acl-'));
  dirs.push(d);
  services = openServices(d);
  await load(services);
});
after(() => {
  services.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function cli(name: string, argv: readonly string[]): Promise<CommandResult> {
  const c = ACCESS_COMMANDS[name]!;
  return runCommand(c, argsFromArgv(c, argv), { services, lang: 'en' });
}

const table = (r: CommandResult, delim = '|'): string[] =>
  renderOutput(r.output, { delim, nohdr: true }).trimEnd().split('\n');

interface WhoData {
  match: { kind: string; reason?: string; resource?: { path: string; roles: string[] } };
  granting_roles: string[];
  users: { uid: string; allowed_now: boolean; via: string[] }[];
  next_cursor: string | null;
}

describe('lsssorole', () => {
  it('lists roles and role sets with members, effective roles, unknown members and cycles', async () => {
    const r = await cli('lsssorole', []);
    assert.deepEqual(
      table(r).map((l) => l.split('|').slice(0, 6).join('|')),
      [
        'Admin|role||Admin||no',
        'Auditor|role||Auditor||no',
        'Guest|role||Guest||no',
        'Managers|roleSet|Auditor Staff Retired|Auditor Guest Managers Staff|Retired|yes',
        'Staff|roleSet|Guest Managers|Auditor Guest Managers Staff||yes',
      ],
    );
    const data = r.data as {
      roles: { name: string; effective_roles: string[]; cyclic: boolean }[];
    };
    assert.deepEqual(data.roles.find((x) => x.name === 'Staff')?.effective_roles, [
      'Auditor',
      'Guest',
      'Managers',
      'Staff',
    ]);
  });

  it('-user shows the effective roles with the path through role sets', async () => {
    const r = await cli('lsssorole', ['-user', 'tarou']);
    assert.deepEqual(table(r), [
      'Auditor|role|Managers > Auditor',
      'Guest|role|Managers > Staff > Guest',
      'Managers|roleSet|Managers',
      'Retired|unknown|Managers > Retired',
      'Staff|roleSet|Managers > Staff',
    ]);
    await assert.rejects(
      cli('lsssorole', ['-user', 'nobody']),
      (e) => e instanceof SsoError && e.code === 'SSO_USER_NOT_FOUND',
    );
    await assert.rejects(cli('lsssorole', ['-user', 'a\nb']), UsageError);
    await assert.rejects(cli('lsssorole', ['-user', 'x'.repeat(2000)]), UsageError);
  });
});

describe('lsssoresource', () => {
  it('lists sites and their resources with the roles that grant each', async () => {
    const r = await cli('lsssoresource', []);
    assert.deepEqual(
      table(r).map((l) => l.split('|').slice(0, 4).join('|')),
      [
        'api.example.com|8443|/v1/|Auditor',
        'www.example.com|443|/|Staff Admin',
        'www.example.com|443|/admin/|Admin',
      ],
    );
    const data = r.data as { sites: { host: string; resources: { path: string }[] }[] };
    assert.deepEqual(
      data.sites.map((s) => [s.host, s.resources.map((x) => x.path)]),
      [
        ['api.example.com', ['/v1/']],
        ['www.example.com', ['/', '/admin/']],
      ],
    );
  });
});

describe('whocanaccess', () => {
  const who = async (url: string, ...argv: string[]) => {
    const r = await cli('whocanaccess', [url, ...argv]);
    return { r, data: r.data as WhoData };
  };

  it('finds the resource by the business server’s rules, the granting roles and their holders', async () => {
    const root = await who('https://www.example.com/index.html');
    assert.equal(root.data.match.resource?.path, '/');
    assert.deepEqual(root.data.granting_roles, ['Admin', 'Managers', 'Staff']);
    assert.deepEqual(
      root.data.users.map((u) => `${u.uid} ${u.allowed_now} ${u.via.join('>')}`),
      [
        'hanako true Admin',
        'tarou true Managers>Staff',
        'a1 true Admin',
        'a2 true Admin',
        'a3 true Admin',
        'a4 true Admin',
        'a5 false Admin',
      ],
    );
    assert.equal(root.data.next_cursor, null);
    assert.match(root.r.messages![0]!, /^resource \/ of www\.example\.com:443 /);
    // Case-insensitive, with the implied trailing slash: /ADMIN is /admin/'s directory.
    const admin = await who('https://WWW.example.com/ADMIN');
    assert.equal(admin.data.match.resource?.path, '/admin/');
    assert.deepEqual(admin.data.granting_roles, ['Admin']);
    assert.ok(!admin.data.users.some((u) => u.uid === 'tarou'));
    // Auditor is reached through both role sets of the cycle.
    const api = await who('https://api.example.com:8443/v1/items');
    assert.deepEqual(api.data.granting_roles, ['Auditor', 'Managers', 'Staff']);
    assert.deepEqual(
      api.data.users.map((u) => [u.uid, u.via.join('>')]),
      [['tarou', 'Managers>Auditor']],
    );
  });

  it('says when the server refuses the URL or does not protect it', async () => {
    const refused = await who('https://www.example.com/%2e%2e/admin/');
    assert.deepEqual(refused.data.match, { kind: 'refused', reason: 'dot_segment' });
    assert.deepEqual(refused.data.users, []);
    assert.match(refused.r.messages![0]!, /refuses this URL \(dot_segment\)/);
    assert.equal((await who('https://other.example.com/')).data.match.kind, 'site_not_registered');
    assert.equal((await who('https://api.example.com:8443/v2/')).data.match.kind, 'not_covered');
    assert.equal((await who('javascript:alert(1)')).data.match.kind, 'refused');
  });

  it('pages the holders with -limit and -cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const { r, data } = await who(
        'https://www.example.com/admin/',
        '-limit',
        '2',
        ...(cursor === undefined ? [] : ['-cursor', cursor]),
      );
      seen.push(...data.users.map((u) => u.uid));
      cursor = data.next_cursor ?? undefined;
      if (cursor !== undefined) assert.ok(r.warnings?.some((w) => w.includes(cursor!)));
      pages++;
    } while (cursor !== undefined && pages < 10);
    assert.deepEqual(seen, ['hanako', 'a1', 'a2', 'a3', 'a4', 'a5']);
    assert.ok(pages >= 3);
  });

  it('refuses bad parameters', async () => {
    const first = await who('https://www.example.com/admin/', '-limit', '1');
    const cursor = first.data.next_cursor!;
    for (const argv of [
      ['https://www.example.com/', '-cursor', cursor], // another URL's cursor
      ['https://www.example.com/admin/', '-cursor', 'bm9wZQ'],
      ['https://www.example.com/admin/', '-cursor', '!!'],
      ['https://www.example.com/admin/', '-limit', '0'],
      ['https://www.example.com/admin/', '-limit', '1001'],
      ['https://www.example.com/' + 'a'.repeat(9000)],
      [],
    ]) {
      await assert.rejects(
        cli('whocanaccess', argv),
        UsageError,
        JSON.stringify(argv).slice(0, 80),
      );
    }
  });
});

describe('through REST', () => {
  let server: SsoServer;
  let ca: string;
  before(async () => {
    const pki = await makePki();
    ca = pki.serverCa.cert;
    server = await startSso({ pki, management: true });
    await load(server.services);
  });
  after(async () => {
    await server.close();
  });

  function rest(command: string, body: unknown): Promise<RestAnswer> {
    return postRest(server.origin, ca, ADMIN_TOKEN, command, body);
  }

  it('answers whocanaccess, lsssorole and lsssoresource as JSON data', async () => {
    const w = await rest('whocanaccess', { object: 'https://www.example.com/admin/', limit: 3 });
    assert.equal(w.status, 200, JSON.stringify(w.json));
    const data = (w.json as { data: WhoData }).data;
    assert.deepEqual(
      data.users.map((u) => u.uid),
      ['hanako', 'a1', 'a2'],
    );
    assert.equal(typeof data.next_cursor, 'string');
    const more = await rest('whocanaccess', {
      object: 'https://www.example.com/admin/',
      cursor: data.next_cursor,
    });
    assert.deepEqual(
      (more.json as { data: WhoData }).data.users.map((u) => u.uid),
      ['a3', 'a4', 'a5'],
    );
    const roles = await rest('lsssorole', { user: 'tarou' });
    assert.equal(roles.status, 200);
    assert.deepEqual(
      (roles.json as { data: { roles: { name: string; path: string[] }[] } }).data.roles.find(
        (r) => r.name === 'Guest',
      )?.path,
      ['Managers', 'Staff', 'Guest'],
    );
    const res = await rest('lsssoresource', {});
    assert.equal(res.status, 200);
    const bad = await rest('whocanaccess', { object: 'https://www.example.com/', limit: 'many' });
    assert.equal(bad.status, 400);
    assert.equal((bad.json as { error: { code: string } }).error.code, 'USAGE');
    const none = await rest('lsssorole', { user: 'nobody' });
    assert.equal(none.status, 404);
  });
});

describe('lsssouser', () => {
  const lsssouser = async (argv: readonly string[]): Promise<CommandResult> => {
    const c = MANAGEMENT_COMMANDS['lsssouser']!;
    return runCommand(c, argsFromArgv(c, argv), { services, lang: 'en' });
  };
  it('finds users by the start of the user ID or cn, sorted, with a limit that warns', async () => {
    const all = await lsssouser(['-prefix', 'A', '-limit', '50', '-delim', '|']);
    assert.deepEqual(
      table(all).map((l) => l.split('|')[0]),
      ['a1', 'a2', 'a3', 'a4', 'a5'],
    );
    assert.deepEqual(all.warnings ?? [], []);
    const two = await lsssouser(['-prefix', 'a', '-limit', '2']);
    assert.equal((two.data as { users: unknown[]; truncated: boolean }).users.length, 2);
    assert.equal((two.data as { truncated: boolean }).truncated, true);
    assert.deepEqual(two.warnings, ['more than 2 users match: refine -prefix']);
    await assert.rejects(lsssouser(['-limit', '0']), /limit/);
    await assert.rejects(lsssouser(['-limit', '2', '-count', '2']), /one or the other/);
  });
});
