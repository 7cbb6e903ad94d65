/**
 * The access-log lines to the byte: the seed's examples, every record kind and result token, the
 * `unknown` rules, session management on and off, addresses, time zones and the escaping of
 * values from outside.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  AUTH_METHODS,
  RESULT_TOKENS,
  SSO_JAVA_API,
  authenticationToken,
  formatAccessLine,
  formatTimestamp,
  parseAccessLine,
  parseCertificateIdentification,
  type AccessRecord,
  type BusinessRecord,
  type LogKind,
  type RepositoryRecord,
  type ResultToken,
} from '../../src/logs/index.ts';

const JST = { timeZoneOffsetMinutes: 540 } as const;
/** 2002/09/11 20:28:22 +0900, the time of the manual's examples. */
const T = new Date('2002-09-11T11:28:22Z');
const TARO = 'cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com';
const SID = 'ddzWs+4zVLhd3PbPzaanr7CgITETe9qZwYoAXzRvu9NO9KBWXpasM4';

function repo(over: Partial<RepositoryRecord> = {}): RepositoryRecord {
  return {
    log: 'repository',
    time: T,
    authServer: '10.131.201.10',
    client: '10.131.201.199',
    user: { kind: 'dn', value: TARO },
    result: { token: 'Authentication(basicAuth)', outcome: 'succeeded' },
    sessionManagement: false,
    ...over,
  };
}

/** Formats and checks that the grammar reads the line back. */
function line(r: AccessRecord): string {
  const s = formatAccessLine(r, JST);
  assert.ok(parseAccessLine(s, r.log), `grammar rejects ${s}`);
  return s;
}

describe('seed examples (reference §2 "Examples", seed 003)', () => {
  it('J-EX line with session management, byte for byte', () => {
    assert.equal(
      line(repo({ sessionManagement: true, sessionId: SID })),
      `10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "${TARO}" Authentication(basicAuth) succeeded. SessionID="${SID}" |`,
    );
  });
  it('J-EX line without session management, byte for byte', () => {
    assert.equal(
      line(repo()),
      '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=Fujitsu Tarou,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) succeeded. |',
    );
  });
  it('EG-210 line with (Count up failure count), ASCII "-" and the rendering proposal', () => {
    assert.equal(
      line(
        repo({
          user: { kind: 'dn', value: 'cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com' },
          result: { token: 'Authentication(basicAuth)', outcome: 'failed' },
          supplementary: 'COUNT_UP_FAILURE_COUNT',
        }),
      ),
      '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) failed. (Count up failure count) |',
    );
  });
});

describe('repository log', () => {
  it('unknown auth server, user and session', () => {
    assert.equal(
      line(repo({ authServer: undefined, user: undefined, sessionManagement: true })),
      'unknown - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "unknown" Authentication(basicAuth) succeeded. SessionID="unknown" |',
    );
  });
  it('unknown client, uid identification, supplementary and session', () => {
    assert.equal(
      line(
        repo({
          client: undefined,
          user: { kind: 'uid', value: 'user001' },
          result: { token: 'Authentication(certAuth)', outcome: 'failed' },
          supplementary: 'AUTH_TYPE_MISMATCH',
          sessionManagement: true,
          sessionId: 'abc',
        }),
      ),
      '10.131.201.10 - unknown [2002/09/11 20:28:22 +0900] - "user001" Authentication(certAuth) failed. (Authentication type mismatch) SessionID="abc" |',
    );
  });
  it('IPv6 addresses are unbracketed and compressed (RFC 5952); IPv4-mapped becomes IPv4', () => {
    assert.equal(
      line(
        repo({
          authServer: '[2001:0DB8:0000:0000:0000:0000:0000:0001]',
          client: '::ffff:192.0.2.7',
        }),
      ),
      `2001:db8::1 - 192.0.2.7 [2002/09/11 20:28:22 +0900] - "${TARO}" Authentication(basicAuth) succeeded. |`,
    );
    assert.equal(
      line(repo({ authServer: '2001:db8:0:0:1:0:0:1', client: 'fe80::1' })),
      `2001:db8::1:0:0:1 - fe80::1 [2002/09/11 20:28:22 +0900] - "${TARO}" Authentication(basicAuth) succeeded. |`,
    );
  });
  it('a certificate that identifies no user: serial number, issuer DN and subject DN', () => {
    const s = line(
      repo({
        user: {
          kind: 'certificate',
          serial: '01A2',
          issuerDn: 'CN=Test CA,O=Example,C=JP',
          subjectDn: 'CN=User001,O=Example,C=JP',
        },
        result: { token: 'Authentication(certAuth)', outcome: 'failed' },
        supplementary: 'WRONG_ID_OR_PASSWORD',
      }),
    );
    assert.equal(
      s,
      '10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "serialNumber=01A2, issuer=\\"CN=Test CA,O=Example,C=JP\\", subject=\\"CN=User001,O=Example,C=JP\\"" Authentication(certAuth) failed. (Invalid ID or password) |',
    );
    const p = parseAccessLine(s, 'repository');
    assert.ok(p?.log === 'repository');
    assert.deepEqual(parseCertificateIdentification(p.user), {
      serial: '01A2',
      issuerDn: 'CN=Test CA,O=Example,C=JP',
      subjectDn: 'CN=User001,O=Example,C=JP',
    });
  });
  it('the host of REDIRECTED_OTHER_HOST', () => {
    assert.equal(
      line(
        repo({
          result: { token: 'Authentication(basicAuth)', outcome: 'succeeded' },
          supplementary: { id: 'REDIRECTED_OTHER_HOST', host: 'sso2.example.com' },
        }),
      ),
      `10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "${TARO}" Authentication(basicAuth) succeeded. (Redirected to sso2.example.com) |`,
    );
  });
});

describe('authentication log', () => {
  const base = {
    log: 'authentication',
    time: T,
    client: '10.131.201.199',
    businessServer: 'www.example.com',
    repositoryServer: '10.131.201.88',
    user: { kind: 'dn', value: 'cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com' },
    result: { token: 'Authentication(basicAuth)', outcome: 'failed' },
    supplementary: 'PASSWORD_AUTH_REQUIRED',
    sessionManagement: false,
  } as const;
  it('EG-212 form', () => {
    assert.equal(
      line(base),
      '10.131.201.199 - www.example.com - 10.131.201.88 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) failed. (Authentication by ID and password is required) |',
    );
  });
  it('SSO-JavaAPI, unknown business and repository servers, IPv6 client, session', () => {
    assert.equal(
      line({
        ...base,
        businessServer: SSO_JAVA_API,
        client: '2001:db8::a',
        sessionManagement: true,
        sessionId: 's1',
      }),
      '2001:db8::a - SSO-JavaAPI - 10.131.201.88 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" Authentication(basicAuth) failed. (Authentication by ID and password is required) SessionID="s1" |',
    );
    assert.equal(
      line({
        ...base,
        client: undefined,
        businessServer: undefined,
        repositoryServer: undefined,
        user: undefined,
        supplementary: 'NO_CREDENTIALS',
        result: { token: 'Authentication(unknown)', outcome: 'failed' },
        sessionManagement: true,
      }),
      'unknown - unknown - unknown [2002/09/11 20:28:22 +0900] - "unknown" Authentication(unknown) failed. (User\'s ID/password and certificate do not exist) SessionID="unknown" |',
    );
  });
});

describe('business log', () => {
  const base: BusinessRecord = {
    log: 'business',
    time: T,
    client: '10.131.201.199',
    user: { kind: 'dn', value: 'cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com' },
    resource: 'https://www.example.com/admin/index.html',
    result: { token: 'Authorization', outcome: 'succeeded' },
    requestId: 'XyZ123',
    sessionManagement: false,
  };
  it('without session management: no SessionID, no Server', () => {
    assert.equal(
      line(base),
      '10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" "https://www.example.com/admin/index.html" Authorization succeeded. RequestID="XyZ123" |',
    );
  });
  it('with session management, unknown values', () => {
    assert.equal(
      line({
        ...base,
        user: undefined,
        resource: undefined,
        requestId: undefined,
        result: { token: 'Authorization', outcome: 'failed' },
        sessionManagement: true,
        server: '2001:db8:0:0:0:0:0:10',
        sessionId: 'S',
      }),
      '10.131.201.199 [2002/09/11 20:28:22 +0900] - "unknown" "unknown" Authorization failed. SessionID="S" Server="2001:db8::10" RequestID="unknown" |',
    );
    assert.equal(
      line({ ...base, sessionManagement: true }),
      '10.131.201.199 [2002/09/11 20:28:22 +0900] - "cn=User001,ou=User,ou=interstage,o=fujitsu,dc=com" "https://www.example.com/admin/index.html" Authorization succeeded. SessionID="unknown" Server="unknown" RequestID="XyZ123" |',
    );
  });
});

describe('session-management log', () => {
  it('with and without variable information and supplementary', () => {
    assert.equal(
      line({
        log: 'session',
        time: T,
        sessionId: SID,
        result: { token: 'Registration', outcome: 'succeeded' },
        userId: 'user001',
      }),
      `[2002/09/11 20:28:22 +0900] "${SID}" Registration succeeded. UserID="user001" |`,
    );
    assert.equal(
      line({
        log: 'session',
        time: T,
        sessionId: undefined,
        result: { token: 'Deletion(idle-timeout)', outcome: 'succeeded' },
        supplementary: 'IDLE_TIMEOUT',
      }),
      '[2002/09/11 20:28:22 +0900] "unknown" Deletion(idle-timeout) succeeded. (Idle timeout) |',
    );
  });
});

describe('every result token', () => {
  /** A record of `log` with `token`. */
  function recordFor(
    log: LogKind,
    token: ResultToken,
    outcome: 'succeeded' | 'failed',
  ): AccessRecord {
    const result = { token, outcome } as never;
    switch (log) {
      case 'repository':
        return repo({ result });
      case 'authentication':
        return {
          log,
          time: T,
          client: '192.0.2.1',
          businessServer: 'bs',
          repositoryServer: '192.0.2.2',
          user: undefined,
          result,
          sessionManagement: false,
        };
      case 'business':
        return {
          log,
          time: T,
          client: '192.0.2.1',
          user: undefined,
          resource: '/',
          result,
          requestId: 'r',
          sessionManagement: false,
        };
      case 'session':
        return { log, time: T, sessionId: 's', result };
    }
  }
  const prefix: Record<LogKind, string> = {
    repository: `10.131.201.10 - 10.131.201.199 [2002/09/11 20:28:22 +0900] - "${TARO}" `,
    authentication: '192.0.2.1 - bs - 192.0.2.2 [2002/09/11 20:28:22 +0900] - "unknown" ',
    business: '192.0.2.1 [2002/09/11 20:28:22 +0900] - "unknown" "/" ',
    session: '[2002/09/11 20:28:22 +0900] "s" ',
  };
  const suffix: Record<LogKind, string> = {
    repository: ' |',
    authentication: ' |',
    business: ' RequestID="r" |',
    session: ' |',
  };
  for (const [token, entry] of Object.entries(RESULT_TOKENS) as [
    ResultToken,
    (typeof RESULT_TOKENS)[ResultToken],
  ][]) {
    for (const log of entry.logs) {
      it(`${log}: ${token}`, () => {
        for (const outcome of ['succeeded', 'failed'] as const) {
          const s = line(recordFor(log, token, outcome));
          assert.equal(s, `${prefix[log]}${token} ${outcome}.${suffix[log]}`);
          const p = parseAccessLine(s, log);
          assert.equal(p?.token, token);
          assert.equal(p.outcome, outcome);
        }
      });
    }
  }
  it('Authentication(<method>) for every method', () => {
    assert.deepEqual(AUTH_METHODS.map(authenticationToken), [
      'Authentication(basicAuth)',
      'Authentication(certAuth)',
      'Authentication(basicAuthAndCertAuth)',
      'Authentication(unknown)',
    ]);
    for (const t of AUTH_METHODS.map(authenticationToken)) assert.ok(t in RESULT_TOKENS);
  });
  it('a token of another log is rejected by the grammar', () => {
    const s = formatAccessLine(repo(), JST).replace('Authentication(basicAuth)', 'Registration');
    assert.equal(parseAccessLine(s, 'repository'), undefined);
  });
});

describe('timestamps', () => {
  const at = new Date('2024-03-10T06:59:59Z');
  it('explicit offsets, including non-integer hours', () => {
    assert.equal(formatTimestamp(at, 540), '2024/03/10 15:59:59 +0900');
    assert.equal(formatTimestamp(at, 330), '2024/03/10 12:29:59 +0530');
    assert.equal(formatTimestamp(at, -210), '2024/03/10 03:29:59 -0330');
    assert.equal(formatTimestamp(at, 0), '2024/03/10 06:59:59 +0000');
    assert.equal(formatTimestamp(at, 345), '2024/03/10 12:44:59 +0545');
    assert.equal(
      formatTimestamp(new Date('2024-12-31T23:30:00Z'), 60),
      '2025/01/01 00:30:00 +0100',
    );
  });
  it('the round trip through the grammar keeps the instant and the offset', () => {
    for (const off of [540, 330, -210, 0, -720, 840]) {
      const s = formatAccessLine(repo({ time: at }), { timeZoneOffsetMinutes: off });
      const p = parseAccessLine(s);
      assert.equal(p?.time.getTime(), at.getTime());
      assert.equal(p.timeZoneOffsetMinutes, off);
    }
  });
  it('local time: the offset of each instant (DST) and half-hour zones', () => {
    const saved = process.env['TZ'];
    try {
      process.env['TZ'] = 'America/New_York';
      // 2024-03-10 02:00 EST → 03:00 EDT
      assert.equal(formatTimestamp(new Date('2024-03-10T06:59:59Z')), '2024/03/10 01:59:59 -0500');
      assert.equal(formatTimestamp(new Date('2024-03-10T07:00:00Z')), '2024/03/10 03:00:00 -0400');
      assert.equal(formatTimestamp(new Date('2024-11-03T05:30:00Z')), '2024/11/03 01:30:00 -0400');
      assert.equal(formatTimestamp(new Date('2024-11-03T06:30:00Z')), '2024/11/03 01:30:00 -0500');
      process.env['TZ'] = 'Asia/Kolkata';
      assert.equal(formatTimestamp(new Date('2024-03-10T06:59:59Z')), '2024/03/10 12:29:59 +0530');
      process.env['TZ'] = 'America/St_Johns';
      assert.equal(formatTimestamp(new Date('2024-01-10T12:00:00Z')), '2024/01/10 08:30:00 -0330');
      assert.equal(formatTimestamp(new Date('2024-07-10T12:00:00Z')), '2024/07/10 09:30:00 -0230');
    } finally {
      if (saved === undefined) delete process.env['TZ'];
      else process.env['TZ'] = saved;
    }
  });
  it('an invalid Date is a programming error', () => {
    assert.throws(() => formatTimestamp(new Date(Number.NaN), 0), RangeError);
  });
});
