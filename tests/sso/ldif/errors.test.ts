// Every malformed input is refused with its stable code and the exact line and record.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  LDIF_ERROR_CODES,
  LdifError,
  parseLdif,
  parseLdifBytes,
  type LdifErrorCode,
} from '../../../src/sso/ldif/index.ts';
import { assertLdifError, ldif } from './helpers.ts';

const DN = 'dn: cn=a,dc=example,dc=com';

const CASES: readonly (readonly [string, string, LdifErrorCode, number, number?])[] = [
  ['truncated base64', ldif(DN, 'description:: SGVsbG8'), 'LDIF_BAD_BASE64', 2],
  ['base64 with too much padding', ldif(DN, 'description:: SGVsbG8=='), 'LDIF_BAD_BASE64', 2],
  ['base64 padding in the middle', ldif(DN, 'description:: SG=sbG8='), 'LDIF_BAD_BASE64', 2],
  ['base64 with non-zero unused bits', ldif(DN, 'description:: SGVsbG9='), 'LDIF_BAD_BASE64', 2],
  ['base64 outside the alphabet', ldif(DN, 'description:: SGVs_G8='), 'LDIF_BAD_BASE64', 2],
  ['base64 with an inner space', ldif(DN, 'description:: SGVs bG8='), 'LDIF_BAD_BASE64', 2],
  ['missing dn', ldif('cn: a', 'sn: b'), 'LDIF_SYNTAX', 1],
  ['dn not first', ldif('version: 1', '', 'cn: a', DN), 'LDIF_SYNTAX', 3],
  ['attribute before dn (record 2)', ldif(DN, 'cn: a', '', 'sn: b', DN), 'LDIF_SYNTAX', 4, 2],
  ['two dns', ldif(DN, 'cn: a', 'dn: cn=b'), 'LDIF_SYNTAX', 3],
  ['changetype: bogus', ldif(DN, 'changetype: bogus'), 'LDIF_SYNTAX', 2],
  ['changetype after an attribute', ldif(DN, 'cn: a', 'changetype: add'), 'LDIF_SYNTAX', 3],
  ['changetype in base64', ldif(DN, 'changetype:: YWRk'), 'LDIF_SYNTAX', 2],
  ['changetype: modrdn', ldif(DN, 'changetype: modrdn', 'newrdn: cn=b'), 'LDIF_UNSUPPORTED', 2],
  ['changetype: moddn', ldif(DN, 'changetype: moddn', 'newrdn: cn=b'), 'LDIF_UNSUPPORTED', 2],
  [
    'modify without "-" at the end',
    ldif(DN, 'changetype: modify', 'replace: sn', 'sn: x'),
    'LDIF_SYNTAX',
    3,
  ],
  [
    'modify without "-" before the next op',
    ldif(DN, 'changetype: modify', 'replace: sn', 'sn: x', 'delete: cn', '-'),
    'LDIF_SYNTAX',
    5,
  ],
  [
    'modify op on a different attribute than declared',
    ldif(DN, 'changetype: modify', 'replace: ssoUserStatus', 'ssoFailureCount: 0', '-'),
    'LDIF_SYNTAX',
    4,
  ],
  ['modify add without values', ldif(DN, 'changetype: modify', 'add: sn', '-'), 'LDIF_SYNTAX', 3],
  ['modify unknown op', ldif(DN, 'changetype: modify', 'increment: n', '-'), 'LDIF_SYNTAX', 3],
  ['modify "-" alone', ldif(DN, 'changetype: modify', '-'), 'LDIF_SYNTAX', 3],
  ['delete with attributes', ldif(DN, 'changetype: delete', 'cn: a'), 'LDIF_SYNTAX', 3],
  ['entry without attributes', ldif(DN), 'LDIF_SYNTAX', 1],
  ['add without attributes', ldif(DN, 'changetype: add'), 'LDIF_SYNTAX', 1],
  [
    'unknown control',
    ldif(DN, 'control: 1.2.3.4 true', 'changetype: delete'),
    'LDIF_UNSUPPORTED',
    2,
  ],
  ['control later in the record', ldif(DN, 'cn: a', 'control: 1.2.3'), 'LDIF_UNSUPPORTED', 3],
  ['attr:< URL', ldif(DN, 'jpegPhoto:< file:///etc/passwd'), 'LDIF_URL_FORBIDDEN', 2],
  ['attr:< http URL', ldif(DN, 'cn:<http://example.com/x'), 'LDIF_URL_FORBIDDEN', 2],
  ['dn:< URL', ldif('dn:< file:///dn'), 'LDIF_URL_FORBIDDEN', 1],
  ['attribute name starting with a digit', ldif(DN, '1cn: a'), 'LDIF_SYNTAX', 2],
  ['attribute name with "_"', ldif(DN, 'c_n: a'), 'LDIF_SYNTAX', 2],
  ['attribute name with an empty option', ldif(DN, 'cn;: a'), 'LDIF_SYNTAX', 2],
  ['OID with a leading zero', ldif(DN, '2.05.4.3: a'), 'LDIF_SYNTAX', 2],
  ['attribute name with a space', ldif(DN, 'c n: a'), 'LDIF_SYNTAX', 2],
  ['line without a colon', ldif(DN, 'cn a'), 'LDIF_SYNTAX', 2],
  ['empty attribute name', ldif(DN, ': a'), 'LDIF_SYNTAX', 2],
  ['CR without LF inside a line', `${DN}\ncn: a\rb\n`, 'LDIF_SYNTAX', 2],
  ['CR without LF on a CRLF file', `${DN}\r\ncn: a\r\r\nsn: b\r\n`, 'LDIF_SYNTAX', 2],
  ['NUL in a value', ldif(DN, 'cn: a\0b'), 'LDIF_SYNTAX', 2],
  ['NUL in a comment', ldif('# a\0', DN, 'cn: a'), 'LDIF_SYNTAX', 1],
  ['plain value starting with ":"', ldif(DN, 'cn: :a'), 'LDIF_SYNTAX', 2],
  ['plain value starting with "<"', ldif(DN, 'cn: <a'), 'LDIF_SYNTAX', 2],
  ['continuation at the start', ldif(' dn: cn=a', 'cn: a'), 'LDIF_SYNTAX', 1],
  ['continuation after a blank line', ldif(DN, 'cn: a', '', ' x'), 'LDIF_SYNTAX', 4, 2],
  ['empty DN', ldif('dn:', 'cn: a'), 'LDIF_BAD_DN', 1],
  ['DN without "="', ldif('dn: cn', 'cn: a'), 'LDIF_BAD_DN', 1],
  ['DN with a trailing comma', ldif('dn: cn=a,', 'cn: a'), 'LDIF_BAD_DN', 1],
  ['DN with a bad escape', ldif(DN, 'cn: a', '', 'dn: cn=a\\zz', 'cn: a'), 'LDIF_BAD_DN', 4, 2],
  ['base64 DN not UTF-8', ldif('dn:: Y249/w==', 'cn: a'), 'LDIF_BAD_UTF8', 1],
  ['version 2', ldif('version: 2', DN, 'cn: a'), 'LDIF_UNSUPPORTED', 1],
  [
    'content and change records mixed',
    ldif(DN, 'cn: a', '', DN, 'changetype: delete'),
    'LDIF_SYNTAX',
    4,
    2,
  ],
];

describe('malformed LDIF', () => {
  for (const [name, text, code, line, record] of CASES) {
    it(`${name}: ${code} at line ${line}`, () => {
      assertLdifError(() => parseLdif(text), code, line, record ?? 1);
    });
  }

  it('the message names the line and the record', () => {
    const e = assertLdifError(() => parseLdif(ldif(DN, 'cn: a', '', DN, 'x')), 'LDIF_SYNTAX', 5, 2);
    assert.match(e.message, / \(line 5, record 2\)$/);
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'LdifError');
  });

  it('every code has a meaning', () => {
    for (const [code, meaning] of Object.entries(LDIF_ERROR_CODES)) {
      assert.match(code, /^LDIF_[A-Z0-9_]+$/);
      assert.ok(meaning.length > 10);
    }
  });

  it('invalid UTF-8 bytes name the line and the record', () => {
    const bytes = Buffer.concat([
      Buffer.from(`${DN}\ncn: a\n\n${DN}\ncn: `),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n'),
    ]);
    assertLdifError(() => parseLdifBytes(bytes), 'LDIF_BAD_UTF8', 5, 2);
    for (const bad of [
      [0xff],
      [0xc0, 0xaf],
      [0xed, 0xa0, 0x80],
      [0xf4, 0x90, 0x80, 0x80],
      [0xe3, 0x81],
    ]) {
      const b = Buffer.concat([
        Buffer.from(`${DN}\ncn: x`),
        Buffer.from(bad),
        Buffer.from('\nsn: y\n'),
      ]);
      assertLdifError(() => parseLdifBytes(b), 'LDIF_BAD_UTF8', 2, 1);
    }
  });

  it('valid UTF-8 bytes (and a BOM) parse like the text', () => {
    const text = ldif('version: 1', 'dn: cn=富士通 太郎,dc=com', 'cn: 富士通 太郎');
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    assert.deepEqual(parseLdifBytes(bytes), parseLdif(text));
  });

  it('a lone surrogate in text input is LDIF_BAD_UTF8', () => {
    assertLdifError(() => parseLdif(ldif(DN, 'cn: a\uD800b')), 'LDIF_BAD_UTF8', 2, 1);
  });

  it('an over-limit value: plain, base64 and folded', () => {
    const limits = { maxValueBytes: 10 };
    assertLdifError(() => parseLdif(ldif(DN, 'cn: 12345678901'), limits), 'LDIF_LIMIT', 2);
    assertLdifError(() => parseLdif(ldif(DN, 'cn: ééééééé'), limits), 'LDIF_LIMIT', 2);
    const b64 = Buffer.from('12345678901').toString('base64');
    assertLdifError(() => parseLdif(ldif(DN, `cn:: ${b64}`), limits), 'LDIF_LIMIT', 2);
    assertLdifError(
      () => parseLdif(ldif(DN, 'sn: a', 'cn: 123456', ' 78901'), limits),
      'LDIF_LIMIT',
      3,
    );
    assert.equal(parseLdif(ldif(DN, 'cn: 1234567890'), limits).length, 1);
  });

  it('too many records', () => {
    const text = ldif(DN, 'cn: a', '', DN, 'cn: b', '', DN, 'cn: c');
    assertLdifError(() => parseLdif(text, { maxRecords: 2 }), 'LDIF_LIMIT', 7, 3);
    assert.equal(parseLdif(text, { maxRecords: 3 }).length, 3);
  });

  it('too many attributes in an entry, or values in a modify', () => {
    assertLdifError(
      () => parseLdif(ldif(DN, 'cn: a', 'cn: b', 'cn: c'), { maxAttributesPerEntry: 2 }),
      'LDIF_LIMIT',
      4,
    );
    const mod = ldif(
      DN,
      'changetype: modify',
      'add: cn',
      'cn: a',
      'cn: b',
      '-',
      'add: sn',
      'sn: c',
      '-',
    );
    assertLdifError(() => parseLdif(mod, { maxAttributesPerEntry: 2 }), 'LDIF_LIMIT', 8);
  });

  it('too many bytes', () => {
    assertLdifError(() => parseLdif(ldif(DN, 'cn: a'), { maxBytes: 10 }), 'LDIF_LIMIT', 1);
    assertLdifError(
      () => parseLdifBytes(Buffer.from(ldif(DN, 'cn: a')), { maxBytes: 10 }),
      'LDIF_LIMIT',
    );
  });

  it('a bad limit is a RangeError', () => {
    assert.throws(() => parseLdif('', { maxRecords: -1 }), RangeError);
  });

  it('nothing partial: an error in the last record throws, no records returned', () => {
    let result: unknown;
    try {
      result = parseLdif(ldif(DN, 'cn: a', '', DN, 'cn:: !!'));
    } catch (e) {
      assert.ok(e instanceof LdifError);
    }
    assert.equal(result, undefined);
  });
});

describe('hostile input', () => {
  it('a 10 MB line without a colon fails fast', () => {
    const text = 'x'.repeat(10 * 1024 * 1024);
    const e = assertLdifError(() => parseLdif(text), 'LDIF_LIMIT', 1, 1);
    assert.ok(e.code === 'LDIF_SYNTAX' || e.code === 'LDIF_LIMIT');
    // With a limit large enough to take the line, it is a syntax error.
    assertLdifError(() => parseLdif(text, { maxValueBytes: 16 * 1024 * 1024 }), 'LDIF_SYNTAX', 1);
  });

  it('deeply repeated folding (200,000 continuation lines)', () => {
    const n = 200_000;
    const text = `${DN}\ndescription: x\n${' y\n'.repeat(n)}`;
    const [r] = parseLdif(text);
    assert.ok(r?.changetype === 'add');
    const v = r.attributes[0]!.value;
    assert.equal(typeof v, 'string');
    assert.equal((v as string).length, n + 1);
  });

  it('folded comments are skipped whole', () => {
    const rs = parseLdif(ldif('# a comment', ' dn: cn=not,dc=a record', DN, 'cn: a'));
    assert.equal(rs.length, 1);
  });

  it('100,000 tiny records parse', () => {
    const n = 100_000;
    const parts: string[] = ['version: 1\n'];
    for (let i = 0; i < n; i++) parts.push(`\ndn: cn=u${i},dc=com\nchangetype: delete\n`);
    const rs = parseLdif(parts.join(''));
    assert.equal(rs.length, n);
    assert.deepEqual(rs[n - 1], { changetype: 'delete', dn: `cn=u${n - 1},dc=com` });
  });

  it('many blank lines and comments between records', () => {
    const text = `${'\n'.repeat(50_000)}${DN}\ncn: a\n${'#c\n\n'.repeat(50_000)}${DN}\ncn: b\n`;
    assert.equal(parseLdif(text).length, 2);
  });
});
