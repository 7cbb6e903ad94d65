/**
 * The contract of `AccessControlRepository` (src/sso/ports/access-control-repository.ts). Every
 * adapter runs it: `describeAccessControlRepositoryContract('sqlite', async () => ({ repo, close }))`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parseAccessEntry,
  type AccessEntry,
  type SsoResource,
  type SsoRole,
  type SsoRoleSet,
  type SsoSite,
} from '../../../src/sso/core/access-control.ts';
import { SsoError } from '../../../src/sso/core/errors.ts';
import type { AccessControlRepository } from '../../../src/sso/ports/access-control-repository.ts';

export interface AccessContractSubject {
  readonly repo: AccessControlRepository;
  /** Releases what the factory acquired. */
  readonly close?: () => Promise<void>;
}

function parsed(dn: string, attrs: Record<string, string | string[]>): AccessEntry {
  return parseAccessEntry({
    dn,
    attributes: new Map(
      Object.entries(attrs).map(([k, v]) => [k, typeof v === 'string' ? [v] : v] as const),
    ),
  });
}

const O = parsed('o=example', { objectClass: ['top', 'organization'], o: 'example' });
const ROLES = parsed('ou=roles,o=example', {
  objectClass: ['top', 'organizationalUnit'],
  ou: 'roles',
  description: 'Roles and role sets',
});
const SITES = parsed('ou=sites,o=example', { objectClass: 'organizationalUnit', ou: 'sites' });
const COM = parsed('dc=com,ou=sites,o=example', { objectClass: 'domain', dc: 'com' });
const EXAMPLE = parsed('dc=example,dc=com,ou=sites,o=example', {
  objectClass: 'domain',
  dc: 'example',
});

function role(cn: string): SsoRole {
  return { kind: 'role', dn: `cn=${cn},ou=roles,o=example`, cn };
}
function roleSet(cn: string, members: string[]): SsoRoleSet {
  return { kind: 'roleSet', dn: `cn=${cn},ou=roles,o=example`, cn, ssoRoleName: members };
}
function site(dc: string, port = 443): SsoSite {
  return {
    kind: 'site',
    dn: `dc=${dc},dc=example,dc=com,ou=sites,o=example`,
    dc,
    host: `${dc}.example.com`,
    port,
  };
}
function resource(path: string, roles: string[], siteDn = site('www').dn): SsoResource {
  return { kind: 'resource', dn: `cn=${path},${siteDn}`, cn: path, ssoRoleName: roles, siteDn };
}

/** The containers of a tree with one site, in parent-first order. */
const TREE: readonly AccessEntry[] = [O, ROLES, SITES, COM, EXAMPLE];

async function withRepo(
  factory: () => Promise<AccessContractSubject>,
  body: (repo: AccessControlRepository) => Promise<void>,
): Promise<void> {
  const s = await factory();
  try {
    await body(s.repo);
  } finally {
    await s.close?.();
  }
}

async function addAll(repo: AccessControlRepository, entries: readonly AccessEntry[]) {
  for (const e of entries) await repo.add(e);
}

function isCode(code: string, includes?: string) {
  return (e: unknown): boolean =>
    e instanceof SsoError &&
    e.code === code &&
    (includes === undefined || e.message.includes(includes));
}

/** Registers the contract suite for one adapter. */
export function describeAccessControlRepositoryContract(
  name: string,
  factory: () => Promise<AccessContractSubject>,
): void {
  void describe(`AccessControlRepository contract: ${name}`, () => {
    void it('adds and finds every kind (DN compared case- and padding-insensitively)', () =>
      withRepo(factory, async (repo) => {
        const entries = [
          ...TREE,
          role('Admin'),
          roleSet('Staff', ['Admin', 'Guest']),
          site('www'),
          resource('/admin/', ['Admin']),
        ];
        await addAll(repo, entries);
        for (const e of entries) assert.deepEqual(await repo.find(e.dn), e);
        assert.deepEqual(await repo.find('CN=admin, OU=Roles, O=EXAMPLE'), role('Admin'));
        assert.equal(await repo.find('cn=nobody,o=example'), undefined);
        assert.deepEqual(await repo.sites(), [site('www')]);
        assert.deepEqual(await repo.resourcesOf(site('www').dn.toUpperCase()), [
          resource('/admin/', ['Admin']),
        ]);
        assert.deepEqual(await repo.resourcesOf('dc=nowhere,o=example'), []);
      }));

    void it('lists in dnKey order, all or by kind', () =>
      withRepo(factory, async (repo) => {
        const entries = [...TREE, role('b'), role('A'), roleSet('c', ['a']), site('www')];
        // Added out of order (parents first all the same).
        await addAll(repo, [...TREE, site('www'), roleSet('c', ['a']), role('b'), role('A')]);
        const keyOf = (e: AccessEntry) => e.dn.toLowerCase();
        const sorted = [...entries].sort((x, y) => (keyOf(x) < keyOf(y) ? -1 : 1));
        assert.deepEqual(await repo.list(), sorted);
        assert.deepEqual(await repo.list('role'), [role('A'), role('b')]);
        assert.deepEqual(await repo.list('roleSet'), [roleSet('c', ['a'])]);
        assert.deepEqual(await repo.list('resource'), []);
        assert.deepEqual(
          (await repo.list('container')).map((e) => e.dn),
          sorted.filter((e) => e.kind === 'container').map((e) => e.dn),
        );
      }));

    void it('add refuses a taken DN, role name (shared with role sets) or site address', () =>
      withRepo(factory, async (repo) => {
        await addAll(repo, [...TREE, role('Admin'), site('www')]);
        await assert.rejects(repo.add(role('Admin')), isCode('SSO_ENTRY_EXISTS'));
        await assert.rejects(
          repo.add({ ...role('ADMIN'), dn: 'cn=ADMIN,ou=Roles,o=example' }),
          isCode('SSO_ENTRY_EXISTS'),
        );
        await assert.rejects(
          repo.add({ ...roleSet('admin', ['x']), dn: 'cn=admin,o=example' }),
          isCode('SSO_ENTRY_EXISTS', 'cn=Admin,ou=roles,o=example'),
        );
        await assert.rejects(
          repo.add({ ...role('admin'), dn: 'cn=admin,o=example' }),
          isCode('SSO_ENTRY_EXISTS'),
        );
        // Same host and port under another DN.
        const twin = parsed('dc=www,dc=example,dc=com,o=example', {
          objectClass: ['domain', 'ssoSite'],
          dc: 'www',
        });
        await assert.rejects(repo.add(twin), isCode('SSO_ENTRY_EXISTS', 'www.example.com'));
        await repo.add(
          parsed('dc=www,dc=example,dc=com,o=example', {
            objectClass: ['domain', 'ssoSite'],
            dc: 'www',
            ssoPortNumber: '8443',
          }),
        );
        assert.equal((await repo.sites()).length, 2);
        assert.deepEqual(await repo.list('role'), [role('Admin')]);
      }));

    void it('add checks the parent: resources under sites, the rest under containers', () =>
      withRepo(factory, async (repo) => {
        // An absent parent is the top of a tree (or kept elsewhere): allowed but for resources.
        await repo.add(role('Top'));
        await assert.rejects(
          repo.add(resource('/a/', [])),
          isCode('SSO_ENTRY_PARENT_INVALID', 'not a site'),
        );
        await addAll(repo, TREE);
        await assert.rejects(
          repo.add(resource('/a/', [], EXAMPLE.dn)),
          isCode('SSO_ENTRY_PARENT_INVALID', 'not a site'),
        );
        await repo.add(site('www'));
        await repo.add(resource('/a/', []));
        await assert.rejects(
          repo.add(
            parsed(`dc=sub,${site('www').dn}`, { objectClass: ['domain', 'ssoSite'], dc: 'sub' }),
          ),
          isCode('SSO_ENTRY_PARENT_INVALID'),
        );
        await assert.rejects(
          repo.add(
            parsed('ou=x,cn=Top,ou=roles,o=example', {
              objectClass: 'organizationalUnit',
              ou: 'x',
            }),
          ),
          isCode('SSO_ENTRY_PARENT_INVALID', 'not under a role'),
        );
        assert.equal(await repo.find(`dc=sub,${site('www').dn}`), undefined);
      }));

    void it('replace changes attributes, not the kind; keeps names unique', () =>
      withRepo(factory, async (repo) => {
        await addAll(repo, [...TREE, roleSet('Staff', ['a']), role('Admin'), site('www')]);
        await repo.replace(roleSet('Staff', ['a', 'b']));
        assert.deepEqual(await repo.find(roleSet('Staff', []).dn), roleSet('Staff', ['a', 'b']));
        await repo.replace(site('www', 8443));
        assert.deepEqual(await repo.sites(), [site('www', 8443)]);
        const container = parsed('ou=roles,o=example', {
          objectClass: ['top', 'organizationalUnit'],
          ou: 'roles',
          description: 'changed',
        });
        await repo.replace(container);
        assert.deepEqual(await repo.find('ou=roles,o=example'), container);
        await assert.rejects(
          repo.replace({ ...role('Staff'), dn: roleSet('Staff', []).dn }),
          isCode('SSO_ATTRIBUTE_INVALID', 'kind'),
        );
        await assert.rejects(repo.replace(role('Ghost')), isCode('SSO_ENTRY_NOT_FOUND'));
        const other: SsoSite = { ...site('www'), dn: 'dc=www,dc=example,dc=com,o=example' };
        await repo.add(other);
        await assert.rejects(
          repo.replace({ ...other, port: 8443 }),
          isCode('SSO_ENTRY_EXISTS', 'www.example.com'),
        );
        assert.deepEqual(await repo.find(other.dn), other);
      }));

    void it('delete removes leaves only', () =>
      withRepo(factory, async (repo) => {
        await addAll(repo, [...TREE, site('www'), resource('/a/', ['x']), role('Admin')]);
        await assert.rejects(repo.delete(site('www').dn), isCode('SSO_ENTRY_HAS_CHILDREN', '/a/'));
        await assert.rejects(repo.delete('ou=roles,o=example'), isCode('SSO_ENTRY_HAS_CHILDREN'));
        await assert.rejects(repo.delete('cn=ghost,o=example'), isCode('SSO_ENTRY_NOT_FOUND'));
        await repo.delete(resource('/A/', []).dn.toUpperCase());
        await repo.delete(site('www').dn);
        await repo.delete(role('Admin').dn);
        assert.deepEqual(
          await repo.list(),
          [...TREE].sort((a, b) => (a.dn.toLowerCase() < b.dn.toLowerCase() ? -1 : 1)),
        );
        // The name is free again.
        await repo.add(roleSet('admin', ['x']));
      }));

    void it('stores hostile values verbatim', () =>
      withRepo(factory, async (repo) => {
        const odd = parsed(`ou=x' OR 1=1 --,o=example`, {
          objectClass: 'organizationalUnit',
          ou: `x' OR 1=1 --`,
          description: ['"); DROP TABLE sso_entries; --', '名前 😀', '\u202e'],
        });
        const path = "/a,b/'%_*\\";
        const fixed: SsoResource = {
          kind: 'resource',
          dn: `cn=${path.replaceAll('\\', '\\\\').replaceAll(',', '\\,')},${site('www').dn}`,
          cn: path,
          ssoRoleName: ['r'],
          siteDn: site('www').dn,
        };
        await addAll(repo, [...TREE, odd, site('www'), fixed]);
        assert.deepEqual(await repo.find(odd.dn), odd);
        assert.deepEqual(await repo.find(fixed.dn), fixed);
        assert.deepEqual(await repo.resourcesOf(site('www').dn), [fixed]);
        assert.equal(await repo.find(`' OR 1=1 --`), undefined);
      }));
  });
}
