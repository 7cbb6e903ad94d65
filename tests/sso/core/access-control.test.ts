/**
 * The access-control entries (§5.2): parsing each kind and its malformed forms, the export
 * attributes round trip, DN keys, role expansion (nested sets, cycles, unknown names),
 * any-match authorization, longest-prefix resources, and the redirect-URL site check against
 * hostile URLs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  accessEntryAttributes,
  authorize,
  dnDepth,
  dnKey,
  expandRoles,
  findResource,
  parentDn,
  parentProblem,
  parseAccessEntry,
  siteForUrl,
  type AccessEntry,
  type SsoResource,
  type SsoRole,
  type SsoRoleSet,
  type SsoSite,
} from '../../../src/sso/core/access-control.ts';
import { SsoError } from '../../../src/sso/core/errors.ts';

type Attrs = Record<string, string | readonly (string | Uint8Array)[]>;

function entry(dn: string, attrs: Attrs) {
  return {
    dn,
    attributes: new Map(
      Object.entries(attrs).map(([k, v]) => [k, typeof v === 'string' ? [v] : v] as const),
    ),
  };
}

const parse = (dn: string, attrs: Attrs): AccessEntry => parseAccessEntry(entry(dn, attrs));

function rejects(code: string, attribute: string, dn: string, attrs: Attrs): void {
  assert.throws(
    () => parse(dn, attrs),
    (e: unknown) => {
      assert.ok(e instanceof SsoError, String(e));
      assert.equal(e.code, code, e.message);
      assert.equal(e.attribute, attribute, e.message);
      return true;
    },
  );
}

const SITE_DN = 'dc=www,dc=example,dc=com,ou=sites,o=x';

function role(cn: string): SsoRole {
  return { kind: 'role', dn: `cn=${cn},ou=roles,o=x`, cn };
}
function roleSet(cn: string, members: string[]): SsoRoleSet {
  return { kind: 'roleSet', dn: `cn=${cn},ou=roles,o=x`, cn, ssoRoleName: members };
}
function resource(cn: string, roles: string[], siteDn = SITE_DN): SsoResource {
  return { kind: 'resource', dn: `cn=${cn},${siteDn}`, cn, ssoRoleName: roles, siteDn };
}
function site(host: string, port = 443): SsoSite {
  const labels = host.split('.');
  return {
    kind: 'site',
    dn: `${labels.map((l) => `dc=${l}`).join(',')},ou=sites,o=x`,
    dc: labels[0]!,
    host,
    port,
  };
}

void describe('parseAccessEntry', () => {
  void it('parses a role, a role set, a site, a resource and containers', () => {
    assert.deepEqual(
      parse('cn=Admin,ou=roles,o=x', { objectClass: ['top', 'ssoRole'], cn: 'Admin' }),
      {
        kind: 'role',
        dn: 'cn=Admin,ou=roles,o=x',
        cn: 'Admin',
      },
    );
    assert.deepEqual(
      parse('cn=staff,ou=roles,o=x', {
        ObjectClass: 'ssoRoleSet',
        CN: 'staff',
        ssorolename: ['Admin', 'Guest'],
      }),
      {
        kind: 'roleSet',
        dn: 'cn=staff,ou=roles,o=x',
        cn: 'staff',
        ssoRoleName: ['Admin', 'Guest'],
      },
    );
    assert.deepEqual(
      parse(SITE_DN, {
        objectClass: ['top', 'domain', 'ssoSite'],
        dc: 'www',
        ssoPortNumber: '8443',
      }),
      { kind: 'site', dn: SITE_DN, dc: 'www', host: 'www.example.com', port: 8443 },
    );
    const upper = parse('DC=WWW, DC=Example,dc=COM,OU=Sites,o=x', {
      objectClass: ['domain', 'ssoSite'],
      dc: 'WWW',
    });
    assert.ok(upper.kind === 'site');
    assert.equal(upper.host, 'www.example.com');
    assert.equal(upper.port, 443);
    const idn = parse('dc=例え,dc=jp,o=x', { objectClass: ['domain', 'ssoSite'], dc: '例え' });
    assert.ok(idn.kind === 'site');
    assert.equal(idn.host, 'xn--r8jz45g.jp');
    assert.deepEqual(
      parse(`cn=/admin/,${SITE_DN}`, {
        objectClass: ['top', 'ssoResource'],
        cn: '/admin/',
        ssoRoleName: ['Admin'],
      }),
      {
        kind: 'resource',
        dn: `cn=/admin/,${SITE_DN}`,
        cn: '/admin/',
        ssoRoleName: ['Admin'],
        siteDn: SITE_DN,
      },
    );
    assert.deepEqual(
      parse('ou=roles,o=x', {
        objectClass: ['top', 'organizationalUnit'],
        ou: 'roles',
        description: ['Roles', 'ロール'],
      }),
      {
        kind: 'container',
        dn: 'ou=roles,o=x',
        objectClass: ['top', 'organizationalUnit'],
        attributes: new Map([
          ['ou', ['roles']],
          ['description', ['Roles', 'ロール']],
        ]),
      },
    );
    assert.equal(parse('o=x', { objectClass: 'organization', o: 'X' }).kind, 'container');
    assert.equal(
      parse('dc=com', { objectClass: ['domain', 'dcObject'], dc: 'com' }).kind,
      'container',
    );
  });

  void it('escaped commas, padding and multi-valued RDNs in DNs', () => {
    const r = parse('cn=/a\\,b/ , dc=www,dc=example,dc=com,ou=sites,o=x', {
      objectClass: 'ssoResource',
      cn: '/a,b/',
    });
    assert.ok(r.kind === 'resource');
    assert.equal(r.siteDn, 'dc=www,dc=example,dc=com,ou=sites,o=x');
    const hex = parse('cn=/a\\2Cb/,dc=www,o=x', { objectClass: 'ssoResource', cn: '/a,b/' });
    assert.equal(dnKey(hex.dn), dnKey('cn=/A\\,B/,DC=www,o=x'));
    assert.equal(dnKey('CN=A + sn=B, O=X'), dnKey('sn=b+cn=a,o=x'));
    assert.notEqual(dnKey('cn=a\\,cn=b,o=x'), dnKey('cn=a,cn=b,o=x'));
    assert.notEqual(dnKey('cn=a\\ ,o=x'), dnKey('cn=a ,o=x'));
    assert.equal(parentDn('cn=a\\,b, ou=r,o=x'), 'ou=r,o=x');
    assert.equal(parentDn('o=x'), undefined);
    assert.equal(dnDepth('cn=a\\,b,ou=r,o=x'), 3);
    for (const bad of ['', 'cn', 'cn=a,\\', 'cn=a,=b', 'cn=\\ff,o=x']) {
      assert.throws(
        () => dnKey(bad),
        (e: unknown) => e instanceof SsoError && e.attribute === 'dn',
        bad,
      );
    }
  });

  void it('refuses malformed roles and role sets', () => {
    const dn = (cn: string) => `cn=${cn.replace(',', '\\,')},ou=roles,o=x`;
    rejects('SSO_ATTRIBUTE_MISSING', 'cn', 'cn=a,o=x', { objectClass: 'ssoRole' });
    rejects('SSO_ATTRIBUTE_INVALID', 'cn', dn('a,b'), { objectClass: 'ssoRole', cn: 'a,b' });
    const b33 = 'あ'.repeat(11); // 33 UTF-8 bytes
    rejects('SSO_ATTRIBUTE_INVALID', 'cn', dn(b33), { objectClass: 'ssoRole', cn: b33 });
    assert.equal(
      parse(dn('x'.repeat(32)), { objectClass: 'ssoRole', cn: 'x'.repeat(32) }).kind,
      'role',
    );
    rejects('SSO_ATTRIBUTE_INVALID', 'cn', dn(''), { objectClass: 'ssoRole', cn: '' });
    rejects('SSO_ATTRIBUTE_SINGLE_VALUED', 'cn', dn('a'), {
      objectClass: 'ssoRole',
      cn: ['a', 'b'],
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'dn', 'cn=other,o=x', { objectClass: 'ssoRole', cn: 'a' });
    rejects('SSO_ATTRIBUTE_INVALID', 'ssoAuthType', dn('a'), {
      objectClass: 'ssoRole',
      cn: 'a',
      ssoAuthType: 'basicAuth',
    });
    rejects('SSO_ATTRIBUTE_MISSING', 'ssoRoleName', dn('s'), {
      objectClass: 'ssoRoleSet',
      cn: 's',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'ssoRoleName', dn('s'), {
      objectClass: 'ssoRoleSet',
      cn: 's',
      ssoRoleName: ['ok', 'x'.repeat(33)],
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'cn', dn('a'), {
      objectClass: 'ssoRole',
      cn: [new Uint8Array([0x61])],
    });
  });

  void it('refuses malformed sites', () => {
    const site = (port: string) => ({
      objectClass: ['domain', 'ssoSite'],
      dc: 'www',
      ssoPortNumber: port,
    });
    for (const port of ['0', '65536', 'abc', '', '-1', '443.0', '0x1bb', '1e3', ' 443']) {
      rejects('SSO_ATTRIBUTE_INVALID', 'ssoPortNumber', SITE_DN, site(port));
    }
    for (const port of [1, 65535]) {
      const ok = parse(SITE_DN, site(String(port)));
      assert.ok(ok.kind === 'site' && ok.port === port);
    }
    rejects('SSO_ATTRIBUTE_SINGLE_VALUED', 'ssoPortNumber', SITE_DN, {
      ...site('443'),
      ssoPortNumber: ['443', '444'],
    });
    rejects('SSO_ATTRIBUTE_MISSING', 'objectClass', SITE_DN, { objectClass: 'ssoSite', dc: 'www' });
    rejects('SSO_ATTRIBUTE_MISSING', 'dc', SITE_DN, { objectClass: ['domain', 'ssoSite'] });
    rejects('SSO_ATTRIBUTE_INVALID', 'dc', 'dc=a.b,o=x', {
      objectClass: ['domain', 'ssoSite'],
      dc: 'a.b',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'dc', 'dc=a@b,o=x', {
      objectClass: ['domain', 'ssoSite'],
      dc: 'a@b',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'dn', 'ou=www,o=x', {
      objectClass: ['domain', 'ssoSite'],
      dc: 'www',
    });
  });

  void it('refuses malformed resources', () => {
    const res = (cn: string) => ({ objectClass: 'ssoResource', cn });
    rejects('SSO_ATTRIBUTE_INVALID', 'cn', `cn=admin/,${SITE_DN}`, res('admin/'));
    rejects('SSO_ATTRIBUTE_MISSING', 'cn', `cn=/a,${SITE_DN}`, { objectClass: 'ssoResource' });
    rejects('SSO_ATTRIBUTE_INVALID', 'dn', 'cn=/a/,ou=resources,o=x', res('/a/'));
    rejects('SSO_ATTRIBUTE_INVALID', 'dn', 'cn=/a/', res('/a/'));
    rejects('SSO_ATTRIBUTE_INVALID', 'ssoUserAttribute', `cn=/a/,${SITE_DN}`, {
      ...res('/a/'),
      ssoUserAttribute: 'mail',
    });
    const noRoles = parse(`cn=/open/,${SITE_DN}`, res('/open/'));
    assert.ok(noRoles.kind === 'resource');
    assert.deepEqual(noRoles.ssoRoleName, []);
  });

  void it('refuses unsupported and mixed object classes, and containers without their naming value', () => {
    rejects('SSO_ATTRIBUTE_INVALID', 'objectClass', 'cn=g,o=x', {
      objectClass: 'groupOfNames',
      cn: 'g',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'objectClass', 'uid=a,o=x', {
      objectClass: 'ssoUser',
      uid: 'a',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'objectClass', 'cn=a,o=x', {
      objectClass: ['ssoRole', 'ssoRoleSet'],
      cn: 'a',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'objectClass', 'cn=a,o=x', {
      objectClass: ['ssoRole', 'organizationalUnit'],
      cn: 'a',
    });
    rejects('SSO_ATTRIBUTE_MISSING', 'objectClass', 'o=x', { o: 'x' });
    rejects('SSO_ATTRIBUTE_MISSING', 'objectClass', 'o=x', { objectClass: 'top', o: 'x' });
    rejects('SSO_ATTRIBUTE_MISSING', 'ou', 'ou=a,o=x', { objectClass: 'organizationalUnit' });
    rejects('SSO_ATTRIBUTE_INVALID', 'ou', 'ou=a,o=x', {
      objectClass: 'organizationalUnit',
      ou: 'b',
    });
    rejects('SSO_ATTRIBUTE_INVALID', 'userPassword', 'o=x', {
      objectClass: 'organization',
      o: 'x',
      userPassword: [new Uint8Array([1])],
    });
  });

  void it('accessEntryAttributes parses back to the same entry', () => {
    const entries = [
      parse('cn=Admin,ou=roles,o=x', { objectClass: 'ssoRole', cn: 'Admin' }),
      parse('cn=s,ou=roles,o=x', { objectClass: 'ssoRoleSet', cn: 's', ssoRoleName: ['a', 'b'] }),
      parse(SITE_DN, { objectClass: ['domain', 'ssoSite'], dc: 'www' }),
      parse(`cn=/,${SITE_DN}`, { objectClass: 'ssoResource', cn: '/' }),
      parse('ou=r,o=x', { objectClass: ['top', 'organizationalUnit'], OU: 'r', l: ['Tokyo'] }),
    ];
    for (const e of entries) {
      const attrs = accessEntryAttributes(e);
      assert.deepEqual(parseAccessEntry({ dn: e.dn, attributes: attrs }), e);
    }
    assert.deepEqual(accessEntryAttributes(entries[2]!).get('ssoPortNumber'), ['443']);
  });

  void it('parentProblem: resources under sites; others under containers or nothing', () => {
    const container = parse('ou=r,o=x', { objectClass: 'organizationalUnit', ou: 'r' });
    const s = site('www.example.com');
    assert.equal(parentProblem(resource('/a', []), s), undefined);
    assert.match(parentProblem(resource('/a', []), undefined) ?? '', /not a site/);
    assert.match(parentProblem(resource('/a', []), container) ?? '', /not a site/);
    assert.equal(parentProblem(role('a'), undefined), undefined);
    assert.equal(parentProblem(role('a'), container), undefined);
    assert.match(parentProblem(role('a'), s) ?? '', /under containers/);
    assert.match(parentProblem(s, role('a')) ?? '', /under containers/);
  });
});

void describe('expandRoles and authorize', () => {
  const roles = ['Admin', 'Guest', 'Auditor', 'Ops'].map(role);

  void it('expands nested role sets, case-insensitively, ignoring unknown names (EG-123)', () => {
    const sets = [
      roleSet('Staff', ['guest', 'Managers']),
      roleSet('managers', ['AUDITOR', 'nobody']),
    ];
    assert.deepEqual([...expandRoles(['STAFF', 'unknown'], sets, roles)].sort(), [
      'auditor',
      'guest',
      'managers',
      'staff',
    ]);
    assert.deepEqual([...expandRoles([], sets, roles)], []);
    assert.deepEqual([...expandRoles(['nobody', 'ghost'], sets, roles)], []);
    assert.deepEqual([...expandRoles(['admin'], [], roles)], ['admin']);
  });

  void it('terminates on cycles, including a set containing itself', () => {
    const sets = [
      roleSet('a', ['b', 'Admin']),
      roleSet('b', ['c']),
      roleSet('c', ['a', 'Ops']),
      roleSet('self', ['self']),
    ];
    assert.deepEqual([...expandRoles(['c'], sets, roles)].sort(), ['a', 'admin', 'b', 'c', 'ops']);
    assert.deepEqual([...expandRoles(['self'], sets, roles)], ['self']);
  });

  void it('authorize: any role of the resource among the effective roles', () => {
    const eff = expandRoles(['Staff'], [roleSet('Staff', ['Guest'])], roles);
    assert.equal(authorize(eff, resource('/a', ['Admin', 'GUEST'])), true);
    assert.equal(authorize(eff, resource('/a', ['staff'])), true);
    assert.equal(authorize(eff, resource('/a', ['Admin'])), false);
    assert.equal(authorize(eff, resource('/a', [])), false);
    assert.equal(authorize(new Set(), resource('/a', ['Admin'])), false);
  });
});

void describe('findResource', () => {
  const rs = [resource('/', ['a']), resource('/admin/', ['b']), resource('/admin/secret/', ['c'])];

  void it('picks the longest prefix, case-insensitively', () => {
    assert.equal(findResource(rs, '/admin/secret/x.html')?.cn, '/admin/secret/');
    assert.equal(findResource(rs, '/admin/secret/')?.cn, '/admin/secret/');
    assert.equal(findResource(rs, '/admin/secret')?.cn, '/admin/');
    assert.equal(findResource(rs, '/ADMIN/Secret/x')?.cn, '/admin/secret/');
    assert.equal(findResource(rs, '/index.html')?.cn, '/');
    assert.equal(findResource(rs.slice(1), '/index.html'), undefined);
    assert.equal(findResource([], '/'), undefined);
    assert.equal(findResource([rs[2]!, rs[1]!], '/admin/secret/y')?.cn, '/admin/secret/');
  });
});

void describe('siteForUrl', () => {
  const www = site('www.example.com');
  const alt = site('www.example.com', 8443);
  const idn = site('xn--r8jz45g.jp');
  const sites = [www, alt, idn];

  void it('finds the site by host (case-insensitive) and port (default 443)', () => {
    assert.equal(siteForUrl(sites, 'https://www.example.com/'), www);
    assert.equal(siteForUrl(sites, 'https://www.example.com'), www);
    assert.equal(siteForUrl(sites, 'https://WWW.Example.COM/a?b=c#d'), www);
    assert.equal(siteForUrl(sites, 'HTTPS://www.example.com:443/x'), www);
    assert.equal(siteForUrl(sites, 'https://www.example.com:8443/x'), alt);
    assert.equal(siteForUrl(sites, 'https://例え.jp/'), idn);
    assert.equal(siteForUrl(sites, 'https://xn--r8jz45g.JP/'), idn);
    assert.equal(siteForUrl([], 'https://www.example.com/'), undefined);
  });

  void it('refuses hostile and malformed URLs', () => {
    const hostile = [
      'javascript:alert(1)',
      'javascript://www.example.com/%0aalert(1)',
      'http://www.example.com/',
      'data:text/html,x',
      'https://evil.com@www.example.com/',
      'https://www.example.com@evil.com/',
      'https://user:pw@www.example.com/',
      'https://www.example.com.evil.com/',
      'https://evilwww.example.com/',
      '//www.example.com/',
      '/\\www.example.com/',
      'https:\\\\www.example.com',
      'https:/\\www.example.com/',
      'https://www.example.com\\@evil.com/',
      'https:www.example.com/',
      'https:/www.example.com/',
      'https:///www.example.com/',
      'https://www.example.com:444/',
      'https://www.example.com:0/',
      'https://www.example.com:99999/',
      'https://www.example.com./',
      'https://www.example.com/\nLocation: x',
      'https://www.example.com/a\rb',
      'https://www.example.com/a\tb',
      ' https://www.example.com/',
      'https://www.example.com/ ',
      'https://www.exa\u0000mple.com/',
      'https://www.example.com/\u0085',
      'https://www.example.com/\u2028',
      'https://[::1]/',
      'https://',
      '',
      'www.example.com',
      `https://www.example.com/${'a'.repeat(3000)}`,
    ];
    for (const url of hostile) assert.equal(siteForUrl(sites, url), undefined, JSON.stringify(url));
    const longest = `https://www.example.com/${'a'.repeat(2048 - 24)}`;
    assert.equal(longest.length, 2048);
    assert.equal(siteForUrl(sites, longest), www);
    assert.equal(siteForUrl(sites, longest + 'a'), undefined);
  });

  void it('matches only https at port 443 when the site is at 443', () => {
    assert.equal(siteForUrl([www], 'https://www.example.com:8443/'), undefined);
    assert.equal(siteForUrl([alt], 'https://www.example.com/'), undefined);
  });
});
