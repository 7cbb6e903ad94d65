// DNs of RFC 4514: the examples of §4, the reference's user DN, escaping and comparison.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  dnEquals,
  escapeDnValue,
  formatDn,
  normalizeDn,
  parseDn,
  type Dn,
} from '../../../src/sso/ldif/index.ts';
import { assertLdifError } from './helpers.ts';

describe('parseDn: RFC 4514 examples', () => {
  it('CN=Steve Kille,O=Isode Limited,C=GB', () => {
    assert.deepEqual(parseDn('CN=Steve Kille,O=Isode Limited,C=GB'), [
      [{ type: 'CN', value: 'Steve Kille' }],
      [{ type: 'O', value: 'Isode Limited' }],
      [{ type: 'C', value: 'GB' }],
    ]);
  });
  it('multi-valued RDN OU=Sales+CN=J. Smith,DC=example,DC=net', () => {
    assert.deepEqual(parseDn('OU=Sales+CN=J. Smith,DC=example,DC=net'), [
      [
        { type: 'OU', value: 'Sales' },
        { type: 'CN', value: 'J. Smith' },
      ],
      [{ type: 'DC', value: 'example' }],
      [{ type: 'DC', value: 'net' }],
    ]);
  });
  it('escaped quotes and comma', () => {
    const dn = parseDn('CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net');
    assert.deepEqual(dn[0], [{ type: 'CN', value: 'James "Jim" Smith, III' }]);
    assert.equal(formatDn(dn), 'CN=James \\"Jim\\" Smith\\, III,DC=example,DC=net');
  });
  it('hex escape of a CR', () => {
    const dn = parseDn('CN=Before\\0dAfter,DC=example,DC=net');
    assert.deepEqual(dn[0], [{ type: 'CN', value: 'Before\rAfter' }]);
    assert.equal(formatDn(dn), 'CN=Before\\0DAfter,DC=example,DC=net');
  });
  it('an OID type and a #hex (BER) value', () => {
    const dn = parseDn('1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com');
    assert.deepEqual(dn[0], [
      { type: '1.3.6.1.4.1.1466.0', value: Uint8Array.from([0x04, 0x02, 0x48, 0x69]) },
    ]);
    assert.equal(formatDn(dn), '1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com');
  });
  it('UTF-8 in hex escapes: CN=Lu\\C4\\8Di\\C4\\87', () => {
    const dn = parseDn('CN=Lu\\C4\\8Di\\C4\\87');
    assert.deepEqual(dn, [[{ type: 'CN', value: 'Lučić' }]]);
    assert.equal(formatDn(dn), 'CN=Lučić');
  });
  it("the reference's user DN", () => {
    const s = 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com';
    const dn = parseDn(s);
    assert.equal(dn.length, 5);
    assert.deepEqual(dn[0], [{ type: 'cn', value: 'Fujitsu Tarou' }]);
    assert.equal(formatDn(dn), s);
    assert.ok(dnEquals(s, 'CN=Fujitsu Tarou, OU=User, OU=interstage, O=fujitsu, DC=com'));
    assert.ok(!dnEquals(s, 'cn=fujitsu tarou,ou=user,ou=interstage,o=fujitsu,dc=com'));
    assert.ok(
      dnEquals(s, 'cn=fujitsu tarou,ou=user,ou=interstage,o=fujitsu,dc=com', {
        ignoreValueCase: true,
      }),
    );
  });
  it('the empty DN', () => {
    assert.deepEqual(parseDn(''), []);
    assert.equal(formatDn([]), '');
  });
});

describe('parseDn: escapes and padding', () => {
  it('every special escape', () => {
    const dn = parseDn('cn=\\,\\+\\"\\\\\\<\\>\\;\\=\\#\\ ');
    assert.deepEqual(dn, [[{ type: 'cn', value: ',+"\\<>;=# ' }]]);
  });
  it('leading and trailing escaped spaces are kept; padding is dropped', () => {
    assert.deepEqual(parseDn('cn=\\ a b\\ '), [[{ type: 'cn', value: ' a b ' }]]);
    assert.deepEqual(parseDn(' cn = a b  , dc = com '), [
      [{ type: 'cn', value: 'a b' }],
      [{ type: 'dc', value: 'com' }],
    ]);
    assert.deepEqual(parseDn('cn=\\#1'), [[{ type: 'cn', value: '#1' }]]);
    assert.deepEqual(parseDn('cn=a#1=b'), [[{ type: 'cn', value: 'a#1=b' }]]);
    assert.deepEqual(parseDn('cn='), [[{ type: 'cn', value: '' }]]);
  });
  for (const bad of [
    'cn',
    '=a',
    'cn=a,',
    ',cn=a',
    'cn=a+',
    'cn=a,,dc=b',
    'cn=a\\',
    'cn=a\\4',
    'cn=a\\zz',
    'cn=a"b',
    'cn=a;dc=b',
    'cn=<a>',
    'cn=a\0',
    'cn=#',
    'cn=#123',
    'cn=#12 x',
    'cn=\\ff\\fe',
    '1cn=a',
    'c_n=a',
    'OID.2.5.4.3=a',
    '2.05.4.3=a',
  ]) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assertLdifError(() => parseDn(bad), 'LDIF_BAD_DN', 0, 0);
    });
  }
});

describe('escapeDnValue, formatDn, normalizeDn', () => {
  it('escapes the specials, leading # and space, trailing space, controls', () => {
    assert.equal(escapeDnValue('a,b+c"d\\e<f>g;h=i'), 'a\\,b\\+c\\"d\\\\e\\<f\\>g\\;h=i');
    assert.equal(escapeDnValue('#x'), '\\#x');
    assert.equal(escapeDnValue(' x '), '\\ x\\ ');
    assert.equal(escapeDnValue('a#b c'), 'a#b c');
    assert.equal(escapeDnValue('a\0b\nc\x7f'), 'a\\00b\\0Ac\\7F');
    assert.equal(escapeDnValue(' '), '\\ ');
    assert.equal(escapeDnValue('*)(uid=*'), '*)(uid=*');
  });
  it('normalizeDn lowercases types, drops padding, sorts multi-valued RDNs', () => {
    assert.equal(
      normalizeDn('OU=Sales + CN=J. Smith, DC=example,DC=net'),
      'cn=J. Smith+ou=Sales,dc=example,dc=net',
    );
    assert.equal(normalizeDn('CN=Before\\0dAfter'), 'cn=Before\\0DAfter');
    assert.equal(normalizeDn('2.5.4.3=x'), '2.5.4.3=x');
    assert.ok(dnEquals('CN=a\\2cb', 'cn=a\\,b'));
    assertLdifError(() => dnEquals('cn=a', 'cn'), 'LDIF_BAD_DN');
  });
});

const dnArb: fc.Arbitrary<Dn> = fc.array(
  fc.array(
    fc.record(
      {
        type: fc.oneof(
          fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,8}$/),
          fc.constantFrom('2.5.4.3', '0.9.2342.19200300.100.1.25'),
        ),
        value: fc.oneof(
          { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
          { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(' lead', 'trail ', '#x', ',+"\\<>;=', '*)(uid=*', ' ', '\0'),
          },
          { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
        ),
      },
      { noNullPrototype: true },
    ),
    { minLength: 1, maxLength: 3 },
  ),
  { maxLength: 5 },
);

describe('DN properties', () => {
  it('parseDn(formatDn(dn)) deep-equals dn', () => {
    fc.assert(
      fc.property(dnArb, (dn) => {
        assert.deepEqual(parseDn(formatDn(dn)), dn);
      }),
      { numRuns: 2000 },
    );
  });
  it('normalizeDn is idempotent and dnEquals is reflexive', () => {
    fc.assert(
      fc.property(dnArb, (dn) => {
        const s = formatDn(dn);
        assert.equal(normalizeDn(normalizeDn(s)), normalizeDn(s));
        assert.ok(dnEquals(s, s));
      }),
    );
  });
});
