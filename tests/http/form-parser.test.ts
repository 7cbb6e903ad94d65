// The strict form parser of the sign-on page: what browsers send is accepted, anything else is a
// coded error and never a repaired value.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FormError, parseForm, type FormSpec } from '../../src/http/form.ts';

const spec: FormSpec = { fields: { uid: 16, password: 32, csrf: 64 }, maxBytes: 256 };
const enc = (s: string) => new TextEncoder().encode(s);
const code = (body: string | Uint8Array): string => {
  try {
    parseForm(typeof body === 'string' ? enc(body) : body, spec);
  } catch (e) {
    assert.ok(e instanceof FormError, String(e));
    return e.code;
  }
  return 'ok';
};

describe('parseForm', () => {
  it('decodes what a browser sends: + as space, %XX, UTF-8, empty values', () => {
    const f = parseForm(enc('uid=%E5%B1%B1%E7%94%B0+taro&password=p%40ss%3D%26&csrf='), spec);
    assert.deepEqual(
      [...f],
      [
        ['uid', '山田 taro'],
        ['password', 'p@ss=&'],
        ['csrf', ''],
      ],
    );
    assert.deepEqual([...parseForm(enc(''), spec)], []);
    assert.deepEqual(
      [...parseForm(enc('uid=a&&password=b'), spec)],
      [
        ['uid', 'a'],
        ['password', 'b'],
      ],
    );
  });

  it('refuses malformed and hostile bodies with a code', () => {
    assert.equal(code('uid=%FF'), 'invalid_utf8');
    assert.equal(code('uid=%C3%28'), 'invalid_utf8');
    assert.equal(code('uid=%ED%A0%80'), 'invalid_utf8'); // an encoded surrogate
    assert.equal(code('uid=%zz'), 'bad_percent');
    assert.equal(code('uid=%4'), 'bad_percent');
    assert.equal(code('uid=a&uid=b'), 'duplicate');
    assert.equal(code('role=admin'), 'unknown_field');
    assert.equal(code('__proto__=x'), 'unknown_field');
    assert.equal(code('constructor=x'), 'unknown_field');
    assert.equal(code('uid=a%0Ab'), 'control_character');
    assert.equal(code('uid=a%00'), 'control_character');
    assert.equal(code('uid=' + 'a'.repeat(17)), 'field_too_long');
    assert.equal(code('uid=' + '%E3%81%82'.repeat(6)), 'field_too_long'); // 18 UTF-8 bytes
    assert.equal(code('uid=a&password=b&csrf=c&uid2=d'), 'too_many_fields');
    assert.equal(code(new Uint8Array(257).fill(0x61)), 'too_large');
    assert.equal(code(Uint8Array.from([0x75, 0x69, 0x64, 0x3d, 0xff])), 'invalid_utf8');
  });

  it('never throws anything but FormError, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const c = code(bytes);
        assert.ok(c === 'ok' || typeof c === 'string');
      }),
      { numRuns: 2000 },
    );
  });
});
