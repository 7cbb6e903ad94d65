// The examples of RFC 2849 (§ "Examples of LDAP Data Interchange Format") and an ssoUser entry
// of the SSO repository (reference §5.1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { parseLdif, type LdifAddRecord } from '../../../src/sso/ldif/index.ts';
import { assertLdifError, ldif } from './helpers.ts';

const EXAMPLE_1 = ldif(
  'version: 1',
  'dn: cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'cn: Barbara Jensen',
  'cn: Barbara J Jensen',
  'cn: Babs Jensen',
  'sn: Jensen',
  'uid: bjensen',
  'telephonenumber: +1 408 555 1212',
  'description: A big sailing fan.',
  '',
  'dn: cn=Bjorn Jensen, ou=Accounting, dc=airius, dc=com',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'cn: Bjorn Jensen',
  'sn: Jensen',
  'telephonenumber: +1 408 555 1212',
);

const EXAMPLE_2 = ldif(
  'version: 1',
  'dn:cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com',
  'objectclass:top',
  'objectclass:person',
  'objectclass:organizationalPerson',
  'cn:Barbara Jensen',
  'cn:Barbara J Jensen',
  'cn:Babs Jensen',
  'sn:Jensen',
  'uid:bjensen',
  'telephonenumber:+1 408 555 1212',
  'description:Babs is a big sailing fan, and travels extensively in sea',
  ' rch of perfect sailing conditions.',
  'title:Product Manager, Rod and Reel Division',
);

const EXAMPLE_3 = ldif(
  'version: 1',
  'dn: cn=Gern Jensen, ou=Product Testing, dc=airius, dc=com',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'cn: Gern Jensen',
  'cn: Gern O Jensen',
  'sn: Jensen',
  'uid: gernj',
  'telephonenumber: +1 408 555 1212',
  'description:: V2hhdCBhIGNhcmVmdWwgcmVhZGVyIHlvdSBhcmUhICBUaGlzIHZhbHVlIGlzIGJhc2UtNjQtZW5jb2RlZ',
  ' CBiZWNhdXNlIGl0IGhhcyBhIGNvbnRyb2wgY2hhcmFjdGVyIGluIGl0IChhIENSKS4NICBCeSB0aGUgd2F5LCB5b3Ugc2hvdW',
  ' xkIHJlYWxseSBnZXQgb3V0IG1vcmUu',
);

const EXAMPLE_4 = ldif(
  '# version: 1 is followed by two UTF-8 entries',
  'version: 1',
  '',
  '# 営業部 (Sales) entry',
  'dn:: b3U95Za25qWt6YOoLG89QWlyaXVz',
  '# dn:: ou=<JapaneseOU>,o=Airius',
  'objectclass: top',
  'objectclass: organizationalUnit',
  'ou:: 5Za25qWt6YOo',
  '# ou:: <JapaneseOU>',
  'ou;lang-ja:: 5Za25qWt6YOo',
  '# ou;lang-ja:: <JapaneseOU>',
  'ou;lang-ja;phonetic:: 44GI44GE44GO44KH44GG44G2',
  '# ou;lang-ja:: <JapaneseOU_in_phonetic_representation>',
  'ou;lang-en: Sales',
  'description: Japanese office',
  '',
  'dn:: dWlkPXJvZ2FzYXdhcmEsb3U95Za25qWt6YOoLG89QWlyaXVz',
  '# dn:: uid=<uid>,ou=<JapaneseOU>,o=Airius',
  'userpassword: {SHA}O3HSv1MusyL4kTjP+HKI5uxuNoM=',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'objectclass: inetOrgPerson',
  'uid: rogasawara',
  'mail: rogasawara@airius.co.jp',
  'givenname;lang-ja:: 44Ot44OJ44OL44O8',
  'sn;lang-ja:: 5bCP56yg5Y6f',
  'cn;lang-ja:: 5bCP56yg5Y6fIOODreODieODi+ODvA==',
  'title;lang-ja:: 5Za25qWt6YOoIOmDqOmVtw==',
  'preferredlanguage: ja',
  'givenname:: 44Ot44OJ44OL44O8',
  'sn:: 5bCP56yg5Y6f',
  'cn:: 5bCP56yg5Y6fIOODreODieODi+ODvA==',
  'title:: 5Za25qWt6YOoIOmDqOmVtw==',
  'givenname;lang-ja;phonetic:: 44KN44Gp44Gr44O8',
  'sn;lang-ja;phonetic:: 44GK44GM44GV44KP44KJ',
  'cn;lang-ja;phonetic:: 44GK44GM44GV44KP44KJIOOCjeOBqeOBq+ODvA==',
  'title;lang-ja;phonetic:: 44GI44GE44GO44KH44GG44G2IOOBtuOBoeOCh+OBhg==',
  'givenname;lang-en: Rodney',
  'sn;lang-en: Ogasawara',
  'cn;lang-en: Rodney Ogasawara',
  'title;lang-en: Sales, Director',
);

const EXAMPLE_5 = ldif(
  'version: 1',
  'dn: cn=Horatio Jensen, ou=Product Testing, dc=airius, dc=com',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'cn: Horatio Jensen',
  'cn: Horatio N Jensen',
  'sn: Jensen',
  'uid: hjensen',
  'telephonenumber: +1 408 555 1212',
  'jpegphoto:< file:///usr/local/directory/photos/hjensen.jpg',
);

const EXAMPLE_6_ADD = [
  'version: 1',
  '# Add a new entry',
  'dn: cn=Fiona Jensen, ou=Marketing, dc=airius, dc=com',
  'changetype: add',
  'objectclass: top',
  'objectclass: person',
  'objectclass: organizationalPerson',
  'cn: Fiona Jensen',
  'sn: Jensen',
  'uid: fiona',
  'telephonenumber: +1 408 555 1212',
  'jpegphoto:< file:///usr/local/directory/photos/fiona.jpg',
  '',
];
const EXAMPLE_6_DELETE = [
  '# Delete an existing entry',
  'dn: cn=Robert Jensen, ou=Marketing, dc=airius, dc=com',
  'changetype: delete',
  '',
];
const EXAMPLE_6_MODRDN = [
  "# Modify an entry's relative distinguished name",
  'dn: cn=Paul Jensen, ou=Product Development, dc=airius, dc=com',
  'changetype: modrdn',
  'newrdn: cn=Paula Jensen',
  'deleteoldrdn: 1',
  '',
  '# Rename an entry and move all of its children to a new location in',
  '# the directory tree (only implemented by LDAPv3 servers).',
  'dn: ou=PD Accountants, ou=Product Development, dc=airius, dc=com',
  'changetype: modrdn',
  'newrdn: ou=Product Development Accountants',
  'deleteoldrdn: 0',
  'newsuperior: ou=Accounting, dc=airius, dc=com',
  '',
];
const EXAMPLE_6_MODIFY = [
  '# Modify an entry: add an additional value to the postaladdress',
  '# attribute, completely delete the description attribute, replace',
  '# the telephonenumber attribute with two values, and delete a specific',
  '# value from the facsimiletelephonenumber attribute',
  'dn: cn=Paula Jensen, ou=Product Development, dc=airius, dc=com',
  'changetype: modify',
  'add: postaladdress',
  'postaladdress: 123 Anystreet $ Sunnyvale, CA $ 94086',
  '-',
  'delete: description',
  '-',
  'replace: telephonenumber',
  'telephonenumber: +1 408 555 1234',
  'telephonenumber: +1 408 555 5678',
  '-',
  'delete: facsimiletelephonenumber',
  'facsimiletelephonenumber: +1 408 555 9876',
  '-',
  '',
  '# Modify an entry: replace the postaladdress attribute with an empty',
  '# set of values (which will cause the attribute to be removed), and',
  '# delete the entire description attribute. Note that the first will',
  '# always succeed, while the second will only succeed if at least',
  '# one value for the description attribute is present.',
  'dn: cn=Ingrid Jensen, ou=Product Support, dc=airius, dc=com',
  'changetype: modify',
  'replace: postaladdress',
  '-',
  'delete: description',
  '-',
];

const EXAMPLE_7 = ldif(
  'version: 1',
  '# Delete an entry. The operation will attach the LDAPv3',
  '# Tree Delete Control defined in [9]. The criticality',
  '# field is "true" and the controlValue field is',
  '# absent, as required by [9].',
  'dn: ou=Product Development, dc=airius, dc=com',
  'control: 1.2.840.113556.1.4.805 true',
  'changetype: delete',
);

function add(r: unknown): LdifAddRecord {
  assert.ok(typeof r === 'object' && r !== null && 'changetype' in r && r.changetype === 'add');
  return r as LdifAddRecord;
}

function values(r: LdifAddRecord, name: string): unknown[] {
  return r.attributes.filter((a) => a.name === name).map((a) => a.value);
}

describe('RFC 2849 examples', () => {
  it('1: two content records', () => {
    const rs = parseLdif(EXAMPLE_1);
    assert.equal(rs.length, 2);
    const a = add(rs[0]);
    assert.equal(a.dn, 'cn=Barbara Jensen, ou=Product Development, dc=airius, dc=com');
    assert.equal(a.attributes.length, 10);
    assert.deepEqual(values(a, 'cn'), ['Barbara Jensen', 'Barbara J Jensen', 'Babs Jensen']);
    assert.deepEqual(values(a, 'description'), ['A big sailing fan.']);
    assert.deepEqual(add(rs[1]).attributes.at(-1), {
      name: 'telephonenumber',
      value: '+1 408 555 1212',
    });
  });

  it('2: folded value and no space after the colon', () => {
    const a = add(parseLdif(EXAMPLE_2)[0]);
    assert.deepEqual(values(a, 'description'), [
      'Babs is a big sailing fan, and travels extensively in search of perfect sailing conditions.',
    ]);
    assert.deepEqual(values(a, 'title'), ['Product Manager, Rod and Reel Division']);
  });

  it('3: folded base64 value holding a CR', () => {
    const a = add(parseLdif(EXAMPLE_3)[0]);
    assert.deepEqual(values(a, 'description'), [
      'What a careful reader you are!  This value is base-64-encoded because it has a control ' +
        'character in it (a CR).\r  By the way, you should really get out more.',
    ]);
  });

  it('4: UTF-8 DNs and values in base64, attribute options', () => {
    const rs = parseLdif(EXAMPLE_4);
    assert.equal(rs.length, 2);
    const ou = add(rs[0]);
    assert.equal(ou.dn, 'ou=営業部,o=Airius');
    assert.deepEqual(values(ou, 'ou;lang-ja'), ['営業部']);
    assert.deepEqual(values(ou, 'ou;lang-ja;phonetic'), ['えいぎょうぶ']);
    const user = add(rs[1]);
    assert.equal(user.dn, 'uid=rogasawara,ou=営業部,o=Airius');
    assert.deepEqual(values(user, 'cn;lang-ja'), ['小笠原 ロドニー']);
    assert.deepEqual(values(user, 'userpassword'), ['{SHA}O3HSv1MusyL4kTjP+HKI5uxuNoM=']);
    assert.deepEqual(values(user, 'title;lang-en'), ['Sales, Director']);
  });

  it('5: a value by URL is refused (no file or network read)', () => {
    assertLdifError(() => parseLdif(EXAMPLE_5), 'LDIF_URL_FORBIDDEN', 11, 1);
  });

  it('6: change records; the URL and modrdn are refused', () => {
    const all = ldif(
      ...EXAMPLE_6_ADD,
      ...EXAMPLE_6_DELETE,
      ...EXAMPLE_6_MODRDN,
      ...EXAMPLE_6_MODIFY,
    );
    assertLdifError(() => parseLdif(all), 'LDIF_URL_FORBIDDEN', 12, 1);
    const noUrl = EXAMPLE_6_ADD.filter((l) => !l.startsWith('jpegphoto'));
    const withModrdn = ldif(
      ...noUrl,
      ...EXAMPLE_6_DELETE,
      ...EXAMPLE_6_MODRDN,
      ...EXAMPLE_6_MODIFY,
    );
    assertLdifError(() => parseLdif(withModrdn), 'LDIF_UNSUPPORTED', 19, 3);

    const rs = parseLdif(ldif(...noUrl, ...EXAMPLE_6_DELETE, ...EXAMPLE_6_MODIFY));
    assert.deepEqual(rs, [
      {
        changetype: 'add',
        dn: 'cn=Fiona Jensen, ou=Marketing, dc=airius, dc=com',
        attributes: [
          { name: 'objectclass', value: 'top' },
          { name: 'objectclass', value: 'person' },
          { name: 'objectclass', value: 'organizationalPerson' },
          { name: 'cn', value: 'Fiona Jensen' },
          { name: 'sn', value: 'Jensen' },
          { name: 'uid', value: 'fiona' },
          { name: 'telephonenumber', value: '+1 408 555 1212' },
        ],
      },
      { changetype: 'delete', dn: 'cn=Robert Jensen, ou=Marketing, dc=airius, dc=com' },
      {
        changetype: 'modify',
        dn: 'cn=Paula Jensen, ou=Product Development, dc=airius, dc=com',
        changes: [
          {
            op: 'add',
            attribute: 'postaladdress',
            values: ['123 Anystreet $ Sunnyvale, CA $ 94086'],
          },
          { op: 'delete', attribute: 'description', values: [] },
          {
            op: 'replace',
            attribute: 'telephonenumber',
            values: ['+1 408 555 1234', '+1 408 555 5678'],
          },
          { op: 'delete', attribute: 'facsimiletelephonenumber', values: ['+1 408 555 9876'] },
        ],
      },
      {
        changetype: 'modify',
        dn: 'cn=Ingrid Jensen, ou=Product Support, dc=airius, dc=com',
        changes: [
          { op: 'replace', attribute: 'postaladdress', values: [] },
          { op: 'delete', attribute: 'description', values: [] },
        ],
      },
    ]);
  });

  it('7: controls are refused', () => {
    assertLdifError(() => parseLdif(EXAMPLE_7), 'LDIF_UNSUPPORTED', 7, 1);
  });
});

describe('SSO repository entries', () => {
  const SSHA = '{SSHA}rXVtWiPAY6/w8MuTLKIjpBjj2mtzYWx0MTIzNA==';
  const USER = ldif(
    'version: 1',
    '',
    'dn: cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com',
    'objectClass: top',
    'objectClass: person',
    'objectClass: organizationalPerson',
    'objectClass: inetOrgPerson',
    'objectClass: ssoUser',
    'cn: Fujitsu Tarou',
    'sn: Fujitsu',
    'uid: tarou',
    'userPassword:: e1NTSEF9clhWdFdpUEFZNi93OE11VExLSWpwQmpqMm10ellXeDBNVEl6TkE9PQ==',
    'mail: tarou@fujitsu.example',
    'ssoRoleName: Admin',
    'ssoRoleName: Leader',
    'ssoAuthType: basicAuthOrCertAuth',
    'ssoCredentialTTL: 30',
    'ssoNotBefore: 20240101000000Z',
    'ssoNotAfter: 20301231235959Z',
    'ssoUserStatus: good',
    'ssoFailureCount: 0',
  );

  it('an ssoUser entry keeps its {SSHA} userPassword as bytes', () => {
    const [r] = parseLdif(USER);
    const a = add(r);
    assert.equal(a.dn, 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com');
    const [pw] = values(a, 'userPassword');
    assert.ok(pw instanceof Uint8Array);
    assert.equal(Buffer.from(pw).toString('utf8'), SSHA);
    assert.deepEqual(values(a, 'objectClass').at(-1), 'ssoUser');
    assert.deepEqual(values(a, 'ssoRoleName'), ['Admin', 'Leader']);
    assert.equal(a.attributes.length, 18);
  });

  it('a modify that releases a lock, and a delete', () => {
    const rs = parseLdif(
      ldif(
        'version: 1',
        'dn: cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com',
        'changetype: modify',
        'replace: ssoUserStatus',
        'ssoUserStatus: good',
        '-',
        'delete: ssoFailureCount',
        '-',
        'delete: ssoLockTimeStamp',
        '-',
        '',
        'dn: cn=Admin,ou=Role,ou=interstage,o=fujitsu,dc=com',
        'changetype: delete',
      ),
    );
    assert.deepEqual(rs, [
      {
        changetype: 'modify',
        dn: 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com',
        changes: [
          { op: 'replace', attribute: 'ssoUserStatus', values: ['good'] },
          { op: 'delete', attribute: 'ssoFailureCount', values: [] },
          { op: 'delete', attribute: 'ssoLockTimeStamp', values: [] },
        ],
      },
      { changetype: 'delete', dn: 'cn=Admin,ou=Role,ou=interstage,o=fujitsu,dc=com' },
    ]);
  });

  it('LDAP-injection-looking values are data, kept verbatim', () => {
    const [r] = parseLdif(
      ldif(
        'dn: cn=*)(uid=*,ou=User,dc=com',
        'uid: *)(uid=*',
        'cn: admin)(|(objectClass=*)',
        'sn: x',
      ),
    );
    const a = add(r);
    assert.equal(a.dn, 'cn=*)(uid=*,ou=User,dc=com');
    assert.deepEqual(values(a, 'uid'), ['*)(uid=*']);
    assert.deepEqual(values(a, 'cn'), ['admin)(|(objectClass=*)']);
  });
});
