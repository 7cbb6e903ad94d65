/**
 * The explanations of role-graph.ts agree with the business server's expansion (expandRoles) on
 * any graph, cycles included (property test); paths are the shortest chains; cyclic role sets
 * and unknown members are reported. And matchResource, which the business server and
 * whocanaccess share, classifies URLs as the server does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';

import {
  expandRoles,
  type SsoResource,
  type SsoRole,
  type SsoRoleSet,
  type SsoSite,
} from '../../../src/sso/core/access-control.ts';
import { matchResource } from '../../../src/sso/core/resource-match.ts';
import { describeRoles, explainRoles, indexRoles } from '../../../src/sso/core/role-graph.ts';

const role = (cn: string): SsoRole => ({ kind: 'role', dn: `cn=${cn},ou=r`, cn });
const set = (cn: string, ...members: string[]): SsoRoleSet => ({
  kind: 'roleSet',
  dn: `cn=${cn},ou=r`,
  cn,
  ssoRoleName: members,
});

// Staff -> Managers -> Staff is a cycle; Retired is no role.
const ROLES = [role('Admin'), role('Guest'), role('Auditor')];
const SETS = [set('Staff', 'Guest', 'Managers'), set('Managers', 'Auditor', 'staff', 'Retired')];

describe('explainRoles', () => {
  it('gives each effective role once, with the shortest path through role sets', () => {
    const held = explainRoles(['managers', 'Admin'], indexRoles(ROLES, SETS));
    assert.deepEqual(
      held.map((h) => [h.name, h.kind, h.path.join(' > ')]),
      [
        ['Admin', 'role', 'Admin'],
        ['Auditor', 'role', 'Managers > Auditor'],
        ['Guest', 'role', 'Managers > Staff > Guest'],
        ['Managers', 'roleSet', 'Managers'],
        ['Retired', 'unknown', 'Managers > Retired'],
        ['Staff', 'roleSet', 'Managers > Staff'],
      ],
    );
  });

  it('agrees with expandRoles on any graph, cycles included', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(...names), { maxLength: 8 }),
        fc.array(fc.array(fc.constantFrom(...names, 'zz'), { minLength: 1, maxLength: 4 }), {
          minLength: 8,
          maxLength: 8,
        }),
        fc.array(fc.constantFrom(...names, 'zz', 'A', 'B'), { maxLength: 5 }),
        (roleNames, members, listed) => {
          const roles = roleNames.map(role);
          const sets = names
            .filter((n) => !roleNames.includes(n))
            .map((n, i) => set(n, ...members[i]!));
          const explained = explainRoles(listed, indexRoles(roles, sets));
          const known = explained
            .filter((h) => h.kind !== 'unknown')
            .map((h) => h.name.toLowerCase());
          assert.deepEqual(new Set(known), expandRoles(listed, sets, roles));
          for (const h of explained) {
            assert.equal(h.path.at(-1), h.name);
            assert.ok(listed.some((l) => l.toLowerCase() === h.path[0]!.toLowerCase()));
          }
        },
      ),
    );
  });
});

describe('describeRoles', () => {
  it('lists members, effective roles, unknown members and cycles', () => {
    const d = describeRoles(ROLES, SETS);
    assert.deepEqual(
      d.map((x) => [x.name, x.kind, x.effective.join(' '), x.unknownMembers.join(' '), x.cyclic]),
      [
        ['Admin', 'role', 'Admin', '', false],
        ['Auditor', 'role', 'Auditor', '', false],
        ['Guest', 'role', 'Guest', '', false],
        ['Managers', 'roleSet', 'Auditor Guest Managers Staff', 'Retired', true],
        ['Staff', 'roleSet', 'Auditor Guest Managers Staff', '', true],
      ],
    );
    const acyclic = describeRoles(ROLES, [set('Outer', 'Inner'), set('Inner', 'Admin')]);
    assert.ok(acyclic.filter((x) => x.kind === 'roleSet').every((x) => !x.cyclic));
    // A set listing itself.
    assert.equal(describeRoles([], [set('Loop', 'loop')])[0]!.cyclic, true);
  });
});

describe('matchResource', () => {
  const site: SsoSite = {
    kind: 'site',
    dn: 'dc=www',
    dc: 'www',
    host: 'www.example.com',
    port: 443,
  };
  const res = (cn: string): SsoResource => ({
    kind: 'resource',
    dn: `cn=${cn},dc=www`,
    cn,
    ssoRoleName: ['Admin'],
    siteDn: site.dn,
  });
  const resources = [res('/'), res('/admin/'), res('/admin/deep/')];
  const m = (url: string) => matchResource(url, [site], () => resources);
  const path = (url: string): string | undefined => {
    const r = m(url);
    return r.kind === 'resource' ? r.resource.cn : r.kind;
  };

  it('finds the longest prefix, case-insensitively, with the implied trailing slash', () => {
    assert.equal(path('https://www.example.com/'), '/');
    assert.equal(path('https://WWW.example.com/ADMIN'), '/admin/');
    assert.equal(path('https://www.example.com/admin/deep/x?q=1'), '/admin/deep/');
    assert.equal(path('https://www.example.com:443/adminx'), '/');
  });

  it('refuses what the server refuses, and tells unregistered sites and paths apart', () => {
    assert.deepEqual(m('https://www.example.com/%2e%2e/admin/'), {
      kind: 'refused',
      reason: 'dot_segment',
    });
    assert.deepEqual(m('http://www.example.com/'), { kind: 'refused', reason: 'scheme' });
    assert.equal(m('https://www.example.com:8443/').kind, 'site_not_registered');
    assert.equal(
      matchResource('https://www.example.com/x', [site], () => [res('/admin/')]).kind,
      'not_covered',
    );
  });
});
