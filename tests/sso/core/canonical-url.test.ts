/**
 * canonicalPath / canonicalUrl: the spellings a business server accepts, decoded once, and every
 * trick it refuses (never normalizes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  MAX_URL_LENGTH,
  PATH_REFUSALS,
  URL_REFUSALS,
  canonicalPath,
  canonicalUrl,
  type UrlRefusal,
} from '../../../src/sso/core/canonical-url.ts';

const ACCEPTED: readonly [string, string][] = [
  ['/', '/'],
  ['/admin/', '/admin/'],
  ['/admin', '/admin'],
  ['/Admin/Index.HTML', '/Admin/Index.HTML'],
  ['/a/b.c/d.html', '/a/b.c/d.html'],
  ['/.well-known/security.txt', '/.well-known/security.txt'],
  ['/%61dmin/', '/admin/'],
  ['/a%20b/c', '/a b/c'],
  ['/a+b/c~d', '/a+b/c~d'],
  ['/%E7%94%B0%E4%B8%AD/', '/田中/'],
  ['/%e7%94%b0%e4%b8%ad/', '/田中/'],
  ['/%3F%23', '/?#'],
  ['/%EF%BD%B1', '/ｱ'], // half-width katakana folds to full-width katakana, not to ASCII
];

const REFUSED: readonly [string, UrlRefusal][] = [
  ['/admin/../public/', 'dot_segment'],
  ['/public/..', 'dot_segment'],
  ['/./admin/', 'dot_segment'],
  ['/%2e%2e/admin/', 'dot_segment'],
  ['/%2E/admin/', 'dot_segment'],
  ['/.%2e/admin/', 'dot_segment'],
  ['/public/%2e%2e/admin/', 'dot_segment'],
  ['/admin%2Fx', 'encoded_slash'],
  ['/public/..%2fadmin/', 'encoded_slash'],
  ['/admin%5Cx', 'backslash'],
  ['/admin%5cx', 'backslash'],
  ['/public\\..\\admin\\', 'backslash'],
  ['/%252e%252e/admin/', 'double_encoding'],
  ['/admin%25', 'double_encoding'],
  ['/admin%00', 'control'],
  ['/admin%0D%0AX-Sekisho-User:%20admin', 'control'],
  ['/a%7F', 'control'],
  ['/a%C2%85', 'control'],
  ['/admin\u0000', 'character'],
  ['/admin x', 'character'],
  ['/admin\tx', 'character'],
  ['/admin\r\nx', 'character'],
  ['/é', 'character'],
  ['/a%', 'percent'],
  ['/a%2', 'percent'],
  ['/a%zz', 'percent'],
  ['/a%u002e%u002e/', 'percent'],
  ['/%C0%AE%C0%AE/admin/', 'utf8'],
  ['/%C0%AF', 'utf8'],
  ['/a%FF', 'utf8'],
  ['/%E0%80%AF', 'utf8'],
  ['/%ED%A0%80', 'utf8'],
  ['/%EF%BC%8Fadmin/', 'lookalike'],
  ['/%EF%BC%8E%EF%BC%8E/admin/', 'lookalike'],
  ['/%EF%BD%81dmin/', 'lookalike'],
  ['/%E2%80%A4%E2%80%A4/admin/', 'lookalike'],
  ['/%EF%B9%92/', 'lookalike'],
  ['/%EF%AC%81le', 'lookalike'],
  ['//admin/', 'empty_segment'],
  ['/public//admin/', 'empty_segment'],
  ['/admin./', 'trailing_dot'],
  ['/admin.', 'trailing_dot'],
  ['/admin.../x', 'trailing_dot'],
  ['/admin%2e/', 'trailing_dot'],
  ['/admin%20/', 'trailing_dot'],
  ['/admin;jsessionid=1/', 'path_parameter'],
  ['/admin%3Bx/', 'path_parameter'],
  ['/a#b', 'fragment'],
  ['admin/', 'relative'],
  ['', 'relative'],
  ['/' + 'a'.repeat(MAX_URL_LENGTH), 'too_long'],
];

describe('canonicalPath', () => {
  for (const [raw, path] of ACCEPTED) {
    it(`accepts ${JSON.stringify(raw)} as ${JSON.stringify(path)}`, () => {
      assert.deepEqual(canonicalPath(raw), { ok: true, path });
    });
  }
  for (const [raw, reason] of REFUSED) {
    it(`refuses ${JSON.stringify(raw.slice(0, 60))}: ${reason}`, () => {
      assert.deepEqual(canonicalPath(raw), { ok: false, reason });
      assert.ok(reason === 'too_long' || PATH_REFUSALS.has(reason) || reason === 'fragment');
    });
  }
  it('every refusal reason of the path is exercised by the table', () => {
    const used = new Set(REFUSED.map(([, r]) => r));
    for (const r of PATH_REFUSALS) assert.ok(used.has(r), r);
  });
});

describe('canonicalUrl', () => {
  it('splits host, port and path; the host in lower case, the query ignored', () => {
    assert.deepEqual(canonicalUrl('https://App.Example.COM/Admin/x?q=/../'), {
      ok: true,
      host: 'app.example.com',
      port: 443,
      path: '/Admin/x',
    });
    assert.deepEqual(canonicalUrl('https://app.example.com:8443/x'), {
      ok: true,
      host: 'app.example.com',
      port: 8443,
      path: '/x',
    });
    assert.deepEqual(canonicalUrl('https://app.example.com'), {
      ok: true,
      host: 'app.example.com',
      port: 443,
      path: '/',
    });
    assert.deepEqual(canonicalUrl('https://app.example.com?x=1'), {
      ok: true,
      host: 'app.example.com',
      port: 443,
      path: '/',
    });
    assert.deepEqual(canonicalUrl('https://127.0.0.1:9/'), {
      ok: true,
      host: '127.0.0.1',
      port: 9,
      path: '/',
    });
  });
  const refused: [string, UrlRefusal][] = [
    ['http://app.example.com/', 'scheme'],
    ['//app.example.com/', 'scheme'],
    ['javascript:alert(1)', 'scheme'],
    ['https:/app.example.com/', 'scheme'],
    ['https://app.example.com./admin/', 'host_trailing_dot'],
    ['https://APP.EXAMPLE.COM./', 'host_trailing_dot'],
    ['https://user@app.example.com/', 'host'],
    ['https://app.example.com@evil.example/', 'host'],
    ['https://[::1]/', 'host'],
    ['https:///admin/', 'host'],
    ['https://app..example.com/', 'host'],
    ['https://app%2eexample.com/', 'host'],
    ['https://-app.example.com/', 'host'],
    ['https://app.example.com:0/', 'port'],
    ['https://app.example.com:65536/', 'port'],
    ['https://app.example.com:/', 'port'],
    ['https://app.example.com:0443/', 'port'],
    ['https://app.example.com:44a/', 'port'],
    ['https://app.example.com/x#f', 'fragment'],
    ['https://app.example.com/x y', 'character'],
    ['https://app.example.com/x\r\nX-Sekisho-User: admin', 'character'],
    ['https://app.example.com/\u00e9', 'character'],
    ['https://app.example.com/a\\b', 'backslash'],
    ['https://app.example.com/public/%2e%2e/admin/', 'dot_segment'],
    ['https://app.example.com/' + 'a'.repeat(MAX_URL_LENGTH), 'too_long'],
  ];
  for (const [url, reason] of refused) {
    it(`refuses ${JSON.stringify(url.slice(0, 60))}: ${reason}`, () => {
      assert.deepEqual(canonicalUrl(url), { ok: false, reason });
    });
  }
  it('every refusal reason is exercised by one of the tables', () => {
    const used = new Set([...REFUSED, ...refused].map(([, r]) => r));
    for (const r of URL_REFUSALS) assert.ok(used.has(r), r);
  });
});
