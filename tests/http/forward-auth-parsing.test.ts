/**
 * The per-request shortcuts of forward authentication answer exactly what the general parsers
 * answer: the credential cookie found without building a map, and the forwarded headers
 * collected without copying the others.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { rawHeaderMap, rawHeaderSubset } from '../../src/http/forward-auth.ts';
import { cookieValue, parseCookies } from '../../src/http/sso-app.ts';

const cookiePiece = fc.constantFrom(
  '__Host-sekisho-credential',
  ' __Host-sekisho-credential ',
  'a',
  '',
  '=',
  ';',
  ' ',
  'x=1',
  'v2.abc-_',
  '__host-sekisho-credential',
);

void describe('cookieValue', () => {
  void it('finds what parseCookies finds, for any header built from awkward pieces', () => {
    fc.assert(
      fc.property(fc.array(cookiePiece, { maxLength: 12 }), (pieces) => {
        const header = pieces.join('');
        for (const name of ['__Host-sekisho-credential', 'a', 'x']) {
          assert.equal(cookieValue(header, name), parseCookies(header).get(name), header);
        }
      }),
      { numRuns: 2000 },
    );
  });

  void it('takes the first occurrence and trims, and refuses oversize headers', () => {
    assert.equal(cookieValue(' a = 1 ; a=2', 'a'), '1');
    assert.equal(cookieValue('b=1;a', 'a'), undefined);
    assert.equal(cookieValue(undefined, 'a'), undefined);
    assert.equal(cookieValue('a=1;' + 'x'.repeat(16384), 'a'), undefined);
  });
});

void describe('rawHeaderSubset', () => {
  const wanted = new Set(['host', 'cookie', 'x-original-url']);
  void it('keeps the wanted headers as rawHeaderMap does, repeated ones as arrays', () => {
    const raw = [
      'Host',
      'a.example',
      'X-Original-URL',
      'https://a.example/',
      'Cookie',
      'a=1',
      'cookie',
      'b=2',
      'X-Other',
      'z',
      '__proto__',
      'p',
    ];
    const subset = rawHeaderSubset(raw, wanted);
    const all = rawHeaderMap(raw);
    assert.deepEqual(Object.keys(subset).sort(), ['cookie', 'host', 'x-original-url']);
    for (const k of Object.keys(subset)) assert.deepEqual(subset[k], all[k]);
    assert.deepEqual(subset['cookie'], ['a=1', 'b=2']);
    assert.equal(Object.getPrototypeOf(subset), null);
  });
});
