// The writer: safe strings, base64, folding, and the round trip parse(format(x)) = x.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  formatDn,
  formatLdif,
  isBinaryAttribute,
  isSafeString,
  parseLdif,
  type Dn,
  type LdifAttribute,
  type LdifModification,
  type LdifRecord,
  type LdifValue,
} from '../../../src/sso/ldif/index.ts';
import { assertLdifError } from './helpers.ts';

const DN = 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com';

describe('formatLdif', () => {
  it('writes content records with a version header and blank lines between', () => {
    const text = formatLdif([
      { changetype: 'add', dn: DN, attributes: [{ name: 'cn', value: 'Fujitsu Tarou' }] },
      { changetype: 'add', dn: 'cn=b,dc=com', attributes: [{ name: 'cn', value: '' }] },
    ]);
    assert.equal(text, `version: 1\n\ndn: ${DN}\ncn: Fujitsu Tarou\n\ndn: cn=b,dc=com\ncn:\n`);
  });

  it('writes change records with their changetype', () => {
    const text = formatLdif([
      {
        changetype: 'modify',
        dn: DN,
        changes: [
          { op: 'replace', attribute: 'ssoUserStatus', values: ['good'] },
          { op: 'delete', attribute: 'ssoFailureCount', values: [] },
        ],
      },
      { changetype: 'delete', dn: 'cn=x,dc=com' },
      { changetype: 'add', dn: 'cn=y,dc=com', attributes: [{ name: 'cn', value: 'y' }] },
    ]);
    assert.equal(
      text,
      [
        'version: 1',
        '',
        `dn: ${DN}`,
        'changetype: modify',
        'replace: ssoUserStatus',
        'ssoUserStatus: good',
        '-',
        'delete: ssoFailureCount',
        '-',
        '',
        'dn: cn=x,dc=com',
        'changetype: delete',
        '',
        'dn: cn=y,dc=com',
        'changetype: add',
        'cn: y',
        '',
      ].join('\n'),
    );
  });

  it('base64 for unsafe values and bytes', () => {
    const cases: [LdifValue, string][] = [
      [' lead', 'cn:: IGxlYWQ='],
      ['trail ', 'cn:: dHJhaWwg'],
      [':colon', 'cn:: OmNvbG9u'],
      ['<lt', 'cn:: PGx0'],
      ['a\tb', 'cn:: YQli'],
      ['富士通', 'cn:: 5a+M5aOr6YCa'],
      [Uint8Array.from([0xff, 0]), 'cn:: /wA='],
      ['mid: colon <ok>', 'cn: mid: colon <ok>'],
      ['*)(uid=*', 'cn: *)(uid=*'],
    ];
    for (const [value, line] of cases) {
      const text = formatLdif([
        { changetype: 'add', dn: 'cn=a', attributes: [{ name: 'cn', value }] },
      ]);
      assert.equal(text.split('\n')[3], line);
    }
    const dn = formatLdif([{ changetype: 'delete', dn: 'cn=富士通' }]);
    assert.match(dn, /^dn:: Y249/m);
  });

  it('folds long lines at `wrap` and not at all with 0', () => {
    const value = 'x'.repeat(200);
    const rec: LdifRecord = {
      changetype: 'add',
      dn: 'cn=a',
      attributes: [{ name: 'description', value }],
    };
    const lines = formatLdif([rec]).split('\n');
    assert.ok(lines.every((l) => l.length <= 76));
    assert.equal(lines[3]!.length, 76);
    assert.ok(lines[4]!.startsWith(' '));
    assert.deepEqual(parseLdif(formatLdif([rec])), [rec]);
    const flat = formatLdif([rec], { wrap: 0 }).split('\n');
    assert.equal(flat[3], `description: ${value}`);
    const narrow = formatLdif([rec], { wrap: 2 });
    assert.deepEqual(parseLdif(narrow), [rec]);
    assert.throws(() => formatLdif([rec], { wrap: 1 }), RangeError);
  });

  it('refuses records that could not be read back', () => {
    const add = (dn: string, attributes: LdifAttribute[]): LdifRecord[] => [
      { changetype: 'add', dn, attributes },
    ];
    assertLdifError(() => formatLdif(add('', [{ name: 'cn', value: 'a' }])), 'LDIF_BAD_DN', 0, 1);
    assertLdifError(() => formatLdif(add('cn', [{ name: 'cn', value: 'a' }])), 'LDIF_BAD_DN', 0, 1);
    assertLdifError(() => formatLdif(add('cn=a', [])), 'LDIF_SYNTAX', 0, 1);
    assertLdifError(() => formatLdif(add('cn=a', [{ name: 'c n', value: 'a' }])), 'LDIF_SYNTAX');
    assertLdifError(() => formatLdif(add('cn=a', [{ name: 'dn', value: 'a' }])), 'LDIF_SYNTAX');
    assertLdifError(
      () => formatLdif(add('cn=a', [{ name: 'cn', value: '\uD800' }])),
      'LDIF_BAD_UTF8',
    );
    const mod = (changes: LdifModification[]): LdifRecord[] => [
      { changetype: 'modify', dn: 'cn=a', changes },
    ];
    assertLdifError(
      () => formatLdif(mod([{ op: 'add', attribute: 'cn', values: [] }])),
      'LDIF_SYNTAX',
    );
    assertLdifError(
      () => formatLdif(mod([{ op: 'replace', attribute: 'delete', values: ['x'] }])),
      'LDIF_SYNTAX',
    );
  });

  it('isSafeString', () => {
    assert.ok(isSafeString(''));
    assert.ok(isSafeString('a: b <c>'));
    for (const s of [' a', 'a ', ':a', '<a', 'a\nb', 'a\rb', 'é', '\x7f', 'a\0'])
      assert.ok(!isSafeString(s), s);
  });
});

// ---- round trip -------------------------------------------------------------------------------

const nameArb = fc
  .oneof(
    {
      weight: 6,
      arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}(;[A-Za-z0-9-]{1,6}){0,2}$/),
    },
    {
      weight: 1,
      arbitrary: fc.stringMatching(/^(0|[1-9][0-9]{0,3})(\.(0|[1-9][0-9]{0,3})){1,4}$/),
    },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'userPassword',
        'userCertificate;binary',
        'jpegPhoto',
        'cn;lang-ja',
      ),
    },
  )
  .filter(
    (n) => !['dn', 'changetype', 'control', 'add', 'delete', 'replace'].includes(n.toLowerCase()),
  );

const rawValueArb: fc.Arbitrary<LdifValue> = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ maxLength: 120 }),
  fc.constantFrom(
    ' lead',
    'trail ',
    ':colon',
    '::x',
    '<url',
    ' ',
    '',
    '*)(uid=*',
    '#c',
    '-',
    'a\r\nb',
    '\0',
  ),
  fc.uint8Array({ maxLength: 40 }),
);

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function utf8(b: Uint8Array): string | undefined {
  try {
    return decoder.decode(b);
  } catch {
    return undefined;
  }
}

/** The form a value takes when read back: see the contract of formatLdif. */
function canonical(name: string, v: LdifValue): LdifValue {
  if (typeof v === 'string') {
    return isBinaryAttribute(name) && !isSafeString(v) ? new Uint8Array(Buffer.from(v, 'utf8')) : v;
  }
  if (isBinaryAttribute(name)) return v;
  return utf8(v) ?? v;
}

const dnArb = fc
  .array(
    fc.array(
      fc.record(
        {
          type: fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,6}$/),
          value: fc.oneof(
            fc.string({ unit: 'grapheme', maxLength: 10 }),
            fc.string({ unit: 'binary', maxLength: 10 }),
            fc.constantFrom(' x ', '#', ',+', '*)(uid=*'),
            fc.uint8Array({ minLength: 1, maxLength: 4 }),
          ),
        },
        { noNullPrototype: true },
      ),
      { minLength: 1, maxLength: 2 },
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((dn: Dn) => formatDn(dn));

const attributeArb = fc
  .tuple(nameArb, rawValueArb)
  .map(([name, value]): LdifAttribute => ({ name, value: canonical(name, value) }));

const addArb = fc.record(
  {
    changetype: fc.constant('add' as const),
    dn: dnArb,
    attributes: fc.array(attributeArb, { minLength: 1, maxLength: 8 }),
  },
  { noNullPrototype: true },
);
const deleteArb = fc.record(
  { changetype: fc.constant('delete' as const), dn: dnArb },
  { noNullPrototype: true },
);
const modificationArb = fc
  .tuple(
    fc.constantFrom('add' as const, 'delete' as const, 'replace' as const),
    nameArb,
    fc.array(rawValueArb, { maxLength: 4 }),
  )
  .map(([op, attribute, values]): LdifModification => ({
    op,
    attribute,
    values: (op === 'add' && values.length === 0 ? ['x'] : values).map((v) =>
      canonical(attribute, v),
    ),
  }));
const modifyArb = fc.record(
  {
    changetype: fc.constant('modify' as const),
    dn: dnArb,
    changes: fc.array(modificationArb, { maxLength: 5 }),
  },
  { noNullPrototype: true },
);

describe('round trip', () => {
  it('parseLdif(formatLdif(records)) deep-equals records', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(addArb, { maxLength: 4 }),
          fc.array(fc.oneof(addArb, deleteArb, modifyArb), { maxLength: 5 }),
        ),
        fc.constantFrom(76, 0, 2, 10),
        (records: LdifRecord[], wrap) => {
          const text = formatLdif(records, { wrap });
          assert.deepEqual(parseLdif(text), records);
          assert.deepEqual(parseLdifCrlf(text), records);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a formatted file parses identically with CRLF line ends', () => {
    const records: LdifRecord[] = [
      { changetype: 'add', dn: DN, attributes: [{ name: 'description', value: 'y'.repeat(300) }] },
    ];
    assert.deepEqual(parseLdifCrlf(formatLdif(records)), records);
  });
});

function parseLdifCrlf(text: string): LdifRecord[] {
  return parseLdif(text.replaceAll('\n', '\r\n'));
}
