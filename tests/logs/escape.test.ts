/**
 * Values from outside (user identification, DNs, resource URL, business-server name, request
 * and session IDs, addresses) can never split a line or forge a field: every produced line is one
 * line, without a raw control character, that the grammar reads back to the original values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import {
  escapeQuoted,
  escapeToken,
  formatAccessLine,
  normalizeAddress,
  parseAccessLine,
  parseCertificateIdentification,
  unescapeField,
  type AccessRecord,
  type UserIdentification,
} from '../../src/logs/index.ts';

const T = new Date('2002-09-11T11:28:22Z');
const OPT = { timeZoneOffsetMinutes: 540 } as const;
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A single line: no raw control or separator character, well-formed UTF-16, ends with ` |`. */
function assertOneLine(s: string): void {
  assert.doesNotMatch(s, RAW_CONTROL);
  assert.ok(s.isWellFormed());
  assert.ok(s.endsWith(' |'));
}

const FORGED =
  'evil" - 1.2.3.4 [2002/09/11 20:28:22 +0900] - "cn=admin" Authentication(basicAuth) succeeded. |\n' +
  '10.0.0.1 - 10.0.0.2 [2002/09/11 20:28:22 +0900] - "x\r\u0000\u2028\u2029\\" \\x0A \u0085\u007f\u202e';

describe('escaping', () => {
  it('escapes quote, backslash and every control character in a quoted field', () => {
    assert.equal(escapeQuoted('a"b\\c'), 'a\\"b\\\\c');
    assert.equal(
      escapeQuoted('\n\r\u0000\u001f\u007f\u0080\u009f'),
      '\\x0A\\x0D\\x00\\x1F\\x7F\\x80\\x9F',
    );
    assert.equal(escapeQuoted('\u2028\u2029\u202e\u2066'), '\\u2028\\u2029\\u202E\\u2066');
    assert.equal(escapeQuoted('日本語 ok'), '日本語 ok');
    assert.equal(escapeQuoted('a\ud800b'), 'a\ufffdb');
    assert.equal(escapeQuoted('😀'), '😀');
  });
  it('escapes everything but [A-Za-z0-9._:%-] in an unquoted field', () => {
    assert.equal(escapeToken('www.example.com'), 'www.example.com');
    assert.equal(escapeToken('a b"[x]\\'), 'a\\x20b\\x22\\x5Bx\\x5D\\x5C');
    assert.equal(escapeToken('ホスト'), '\\u30DB\\u30B9\\u30C8');
  });
  it('unescapeField reverses both', () => {
    for (const s of [FORGED, 'plain', '\\x41 literal', 'ホスト 😀', '']) {
      assert.equal(unescapeField(escapeQuoted(s)), s);
      assert.equal(unescapeField(escapeToken(s)), s);
    }
  });
  it('a forged user name stays one field of one line', () => {
    const r: AccessRecord = {
      log: 'repository',
      time: T,
      authServer: '10.131.201.10',
      client: '10.131.201.199',
      user: { kind: 'uid', value: FORGED },
      result: { token: 'Authentication(basicAuth)', outcome: 'failed' },
      supplementary: 'WRONG_ID_OR_PASSWORD',
      sessionManagement: true,
      sessionId: 'sid"\n',
    };
    const s = formatAccessLine(r, OPT);
    assertOneLine(s);
    assert.equal(s.split('\n').length, 1);
    const p = parseAccessLine(s);
    assert.ok(p?.log === 'repository');
    assert.equal(p.user, FORGED);
    assert.equal(p.authServer, '10.131.201.10');
    assert.equal(p.client, '10.131.201.199');
    assert.equal(p.token, 'Authentication(basicAuth)');
    assert.equal(p.outcome, 'failed');
    assert.equal(p.supplementary, 'Invalid ID or password');
    assert.equal(p.sessionId, 'sid"\n');
    assert.equal(
      s,
      '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "evil\\" - 1.2.3.4 [2002/09/11 20:28:22 +0900] - \\"cn=admin\\" Authentication(basicAuth) succeeded. |\\x0A10.0.0.1 - 10.0.0.2 [2002/09/11 20:28:22 +0900] - \\"x\\x0D\\x00\\u2028\\u2029\\\\\\" \\\\x0A \\x85\\x7F\\u202E" Authentication(basicAuth) failed. (Invalid ID or password) SessionID="sid\\"\\x0A" |',
    );
  });
  it('a forged business-server name cannot add a field', () => {
    const s = formatAccessLine(
      {
        log: 'authentication',
        time: T,
        client: '192.0.2.1',
        businessServer: 'x - 10.0.0.9 [2002/09/11 20:28:22 +0900] - "root"',
        repositoryServer: '192.0.2.2',
        user: undefined,
        result: { token: 'Authentication(basicAuth)', outcome: 'succeeded' },
        sessionManagement: false,
      },
      OPT,
    );
    assertOneLine(s);
    assert.equal(
      s,
      String.raw`192.0.2.1 - x\x20-\x2010.0.0.9\x20\x5B2002\x2F09\x2F11\x2020:28:22\x20\x2B0900\x5D\x20-\x20\x22root\x22 - 192.0.2.2 [2002/09/11 20:28:22 +0900] - "unknown" Authentication(basicAuth) succeeded. |`,
    );
    const p = parseAccessLine(s);
    assert.ok(p?.log === 'authentication');
    assert.equal(p.businessServer, 'x - 10.0.0.9 [2002/09/11 20:28:22 +0900] - "root"');
  });
});

// ---- property: arbitrary strings in every attacker-controlled field --------------------------

const nasty = fc.constantFrom(
  '"',
  '\\',
  '\n',
  '\r',
  '\u0000',
  '\u0085',
  '\u007f',
  '\u2028',
  '\u2029',
  '\u202e',
  ' - ',
  ' ',
  '[',
  ']',
  ' |',
  '|',
  '(',
  ')',
  '=',
  ', ',
  'SessionID="',
  '\ud800',
  '\udc00',
  '\\x0A',
  '\\u2028',
  'unknown',
  'a',
  'é',
  '日',
  '😀',
  ',subject="',
);
const str = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.string({ unit: nasty }),
  fc.string({ unit: fc.oneof(nasty, fc.string({ unit: 'binary', maxLength: 1 })) }),
);
const maybe = fc.option(str, { nil: undefined });
const user: fc.Arbitrary<UserIdentification | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ kind: fc.constantFrom('dn' as const, 'uid' as const), value: str }),
  fc.record({
    kind: fc.constant('certificate' as const),
    serial: fc.oneof(str, fc.stringMatching(/^[0-9A-F]{1,20}$/)),
    issuerDn: str,
    subjectDn: str,
  }),
);

const wf = (s: string): string => s.toWellFormed();
/** What an unquoted address field reads back as. */
const tokenBack = (s: string | undefined): string =>
  s === undefined || s === '' ? 'unknown' : wf(normalizeAddress(s));
const quotedBack = (s: string | undefined): string => (s === undefined ? 'unknown' : wf(s));

function checkUser(parsed: string, u: UserIdentification | undefined): void {
  if (u === undefined) {
    assert.equal(parsed, 'unknown');
  } else if (u.kind !== 'certificate') {
    assert.equal(parsed, wf(u.value));
  } else {
    assert.deepEqual(parseCertificateIdentification(parsed), {
      serial: wf(u.serial),
      issuerDn: wf(u.issuerDn),
      subjectDn: wf(u.subjectDn),
    });
  }
}

describe('property: any input gives one line that parses back to the same values', () => {
  it('repository', () => {
    fc.assert(
      fc.property(maybe, maybe, user, fc.boolean(), maybe, (authServer, client, u, sm, sid) => {
        const s = formatAccessLine(
          {
            log: 'repository',
            time: T,
            authServer,
            client,
            user: u,
            result: { token: 'Authentication(basicAuth)', outcome: 'failed' },
            supplementary: 'ALREADY_LOCKED',
            sessionManagement: sm,
            sessionId: sid,
          },
          OPT,
        );
        assertOneLine(s);
        const p = parseAccessLine(s);
        assert.ok(p?.log === 'repository', s);
        assert.equal(p.authServer, tokenBack(authServer));
        assert.equal(p.client, tokenBack(client));
        checkUser(p.user, u);
        assert.equal(p.supplementary, 'Already locked');
        assert.equal(p.sessionId, sm ? quotedBack(sid) : undefined);
      }),
      { numRuns: 500 },
    );
  });
  it('authentication', () => {
    fc.assert(
      fc.property(maybe, maybe, maybe, user, fc.boolean(), maybe, (client, bs, rs, u, sm, sid) => {
        const s = formatAccessLine(
          {
            log: 'authentication',
            time: T,
            client,
            businessServer: bs,
            repositoryServer: rs,
            user: u,
            result: { token: 'Authentication(certAuth)', outcome: 'succeeded' },
            sessionManagement: sm,
            sessionId: sid,
          },
          OPT,
        );
        assertOneLine(s);
        const p = parseAccessLine(s);
        assert.ok(p?.log === 'authentication', s);
        assert.equal(p.client, tokenBack(client));
        assert.equal(p.businessServer, tokenBack(bs));
        assert.equal(p.repositoryServer, tokenBack(rs));
        checkUser(p.user, u);
        assert.equal(p.supplementary, undefined);
        assert.equal(p.sessionId, sm ? quotedBack(sid) : undefined);
      }),
      { numRuns: 500 },
    );
  });
  it('business', () => {
    fc.assert(
      fc.property(
        maybe,
        user,
        maybe,
        fc.boolean(),
        maybe,
        maybe,
        maybe,
        (client, u, resource, sm, sid, server, requestId) => {
          const s = formatAccessLine(
            {
              log: 'business',
              time: T,
              client,
              user: u,
              resource,
              result: { token: 'Authorization', outcome: 'failed' },
              sessionManagement: sm,
              sessionId: sid,
              server,
              requestId,
            },
            OPT,
          );
          assertOneLine(s);
          const p = parseAccessLine(s);
          assert.ok(p?.log === 'business', s);
          assert.equal(p.client, tokenBack(client));
          checkUser(p.user, u);
          assert.equal(p.resource, quotedBack(resource));
          assert.equal(p.sessionId, sm ? quotedBack(sid) : undefined);
          assert.equal(
            p.server,
            sm
              ? quotedBack(server === undefined ? undefined : normalizeAddress(server))
              : undefined,
          );
          assert.equal(p.requestId, quotedBack(requestId));
        },
      ),
      { numRuns: 500 },
    );
  });
  it('session (with the host of REDIRECTED_OTHER_HOST in the repository log)', () => {
    fc.assert(
      fc.property(maybe, maybe, str, (sid, uid, host) => {
        const s = formatAccessLine(
          {
            log: 'session',
            time: T,
            sessionId: sid,
            userId: uid,
            result: { token: 'Deletion(sign-off)', outcome: 'succeeded' },
          },
          OPT,
        );
        assertOneLine(s);
        const p = parseAccessLine(s);
        assert.ok(p?.log === 'session', s);
        assert.equal(p.sessionId, quotedBack(sid));
        assert.equal(p.userId, uid === undefined ? undefined : wf(uid));

        const r = formatAccessLine(
          {
            log: 'repository',
            time: T,
            authServer: undefined,
            client: undefined,
            user: undefined,
            result: { token: 'Authentication(basicAuth)', outcome: 'succeeded' },
            supplementary: { id: 'REDIRECTED_OTHER_HOST', host },
            sessionManagement: false,
          },
          OPT,
        );
        assertOneLine(r);
        const q = parseAccessLine(r);
        assert.ok(q?.log === 'repository', r);
        assert.equal(q.supplementary, `Redirected to ${tokenBack(host)}`);
      }),
      { numRuns: 500 },
    );
  });
});
