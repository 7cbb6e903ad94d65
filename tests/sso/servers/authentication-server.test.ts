/**
 * AuthenticationServer.signOn over a real RepositoryServer (memory and SQLite repositories):
 * every ssoAuthType × what the browser presented × right/wrong credentials, with the exact
 * repository and authentication lines, the prompt, and the sealed credential (opened with the
 * same key); the re-authentication interval; a sign-on with nothing presented.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { openCredential } from '../../../src/sso/core/credential.ts';
import type { SsoAuthType } from '../../../src/sso/core/user.ts';
import type { Certs } from './harness.ts';
import {
  ADAPTERS,
  NOW,
  PASSWORD,
  TAROU_DN,
  TS,
  WRONG,
  authLine,
  certField,
  closeRepositories,
  repoLine,
  rig,
  tarou,
  testCerts,
} from './harness.ts';

let certs: Certs;
before(async () => {
  certs = await testCerts();
});
after(closeRepositories);

type Presented = 'pw' | 'cert' | 'both';
type Right = 'right' | 'wrong';

interface Row {
  readonly type: SsoAuthType;
  readonly presented: Presented;
  /** For `both`: [password, certificate]; otherwise the one credential. */
  readonly creds: readonly [Right, Right] | Right;
  /** Method of a success, or undefined for a failure. */
  readonly succeeds?: 'basicAuth' | 'certAuth' | 'basicAuthAndCertAuth';
  /** Failure: the repository result, e.g. `Authentication(certAuth) failed. (…)`. */
  readonly repo?: string;
  /** Failure: the authentication-server result. */
  readonly auth?: string;
  readonly prompt?: 'password' | 'certificate';
  readonly cause?: 'invalid' | 'type_mismatch';
  /** The line names the certificate (no user found), not the DN. */
  readonly byCertificate?: boolean;
  /** The failure was counted (failure count 1 afterwards, a Modification line). */
  readonly counted?: boolean;
}

const COUNT = 'Count up failure count';
const INVALID = 'Invalid ID or password';
const MISMATCH = 'Authentication type mismatch';
const MISMATCH_PW = 'Authentication type mismatch, password required';
const NEED_PW = 'Authentication by ID and password is required';
const NEED_CERT = 'Authentication by certificate is required';
const failed = (method: string, supp: string) => `Authentication(${method}) failed. (${supp})`;

function fails(
  method: string,
  repoSupp: string,
  authSupp: string,
  extra: Partial<Row> = {},
): Partial<Row> {
  return {
    repo: failed(method, repoSupp),
    auth: failed(method, authSupp),
    prompt: authSupp === NEED_CERT ? 'certificate' : 'password',
    cause: repoSupp.startsWith(MISMATCH) ? 'type_mismatch' : 'invalid',
    ...extra,
  };
}

// The rows follow reference §1 "Authentication methods" and the rules of
// src/sso/core/authenticate.ts: the password names the user when given; a certificate step
// alone for an And user is a type mismatch; an Or user is logged with the method used.
const ROWS: readonly Row[] = [
  // basicAuth
  { type: 'basicAuth', presented: 'pw', creds: 'right', succeeds: 'basicAuth' },
  {
    type: 'basicAuth',
    presented: 'pw',
    creds: 'wrong',
    ...fails('basicAuth', COUNT, NEED_PW, { counted: true }),
  },
  {
    type: 'basicAuth',
    presented: 'cert',
    creds: 'right',
    ...fails('certAuth', MISMATCH_PW, NEED_PW),
  },
  {
    type: 'basicAuth',
    presented: 'cert',
    creds: 'wrong',
    ...fails('certAuth', INVALID, NEED_PW, { byCertificate: true }),
  },
  { type: 'basicAuth', presented: 'both', creds: ['right', 'right'], succeeds: 'basicAuth' },
  {
    type: 'basicAuth',
    presented: 'both',
    creds: ['wrong', 'wrong'],
    ...fails('basicAuth', COUNT, NEED_PW, { counted: true }),
  },
  {
    type: 'basicAuth',
    presented: 'both',
    creds: ['wrong', 'right'],
    ...fails('basicAuth', COUNT, NEED_PW, { counted: true }),
  },
  { type: 'basicAuth', presented: 'both', creds: ['right', 'wrong'], succeeds: 'basicAuth' },
  // certAuth
  { type: 'certAuth', presented: 'pw', creds: 'right', ...fails('basicAuth', MISMATCH, NEED_CERT) },
  { type: 'certAuth', presented: 'pw', creds: 'wrong', ...fails('basicAuth', MISMATCH, NEED_CERT) },
  { type: 'certAuth', presented: 'cert', creds: 'right', succeeds: 'certAuth' },
  {
    type: 'certAuth',
    presented: 'cert',
    creds: 'wrong',
    ...fails('certAuth', INVALID, NEED_PW, { byCertificate: true }),
  },
  { type: 'certAuth', presented: 'both', creds: ['right', 'right'], succeeds: 'certAuth' },
  {
    type: 'certAuth',
    presented: 'both',
    creds: ['wrong', 'wrong'],
    ...fails('certAuth', INVALID, NEED_PW),
  },
  { type: 'certAuth', presented: 'both', creds: ['wrong', 'right'], succeeds: 'certAuth' },
  {
    type: 'certAuth',
    presented: 'both',
    creds: ['right', 'wrong'],
    ...fails('certAuth', INVALID, NEED_PW),
  },
  // basicAuthAndCertAuth
  {
    type: 'basicAuthAndCertAuth',
    presented: 'pw',
    creds: 'right',
    ...fails('basicAuth', MISMATCH, NEED_CERT),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'pw',
    creds: 'wrong',
    ...fails('basicAuth', MISMATCH, NEED_CERT),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'cert',
    creds: 'right',
    ...fails('certAuth', MISMATCH, NEED_PW),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'cert',
    creds: 'wrong',
    ...fails('certAuth', INVALID, NEED_PW, { byCertificate: true }),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'both',
    creds: ['right', 'right'],
    succeeds: 'basicAuthAndCertAuth',
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'both',
    creds: ['wrong', 'wrong'],
    ...fails('basicAuthAndCertAuth', INVALID, NEED_PW),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'both',
    creds: ['wrong', 'right'],
    ...fails('basicAuthAndCertAuth', COUNT, NEED_PW, { counted: true }),
  },
  {
    type: 'basicAuthAndCertAuth',
    presented: 'both',
    creds: ['right', 'wrong'],
    ...fails('basicAuthAndCertAuth', INVALID, NEED_PW),
  },
  // basicAuthOrCertAuth (the default)
  { type: 'basicAuthOrCertAuth', presented: 'pw', creds: 'right', succeeds: 'basicAuth' },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'pw',
    creds: 'wrong',
    ...fails('basicAuth', COUNT, NEED_PW, { counted: true }),
  },
  { type: 'basicAuthOrCertAuth', presented: 'cert', creds: 'right', succeeds: 'certAuth' },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'cert',
    creds: 'wrong',
    ...fails('certAuth', INVALID, NEED_PW, { byCertificate: true }),
  },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'both',
    creds: ['right', 'right'],
    succeeds: 'certAuth',
  },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'both',
    creds: ['wrong', 'wrong'],
    ...fails('basicAuth', COUNT, NEED_PW, { counted: true }),
  },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'both',
    creds: ['wrong', 'right'],
    succeeds: 'certAuth',
  },
  {
    type: 'basicAuthOrCertAuth',
    presented: 'both',
    creds: ['right', 'wrong'],
    succeeds: 'basicAuth',
  },
];

function label(r: Row): string {
  const c =
    typeof r.creds === 'string' ? r.creds : `password ${r.creds[0]}, certificate ${r.creds[1]}`;
  const what = { pw: 'password only', cert: 'certificate only', both: 'both' }[r.presented];
  return `${r.type}: ${what} (${c}) → ${r.succeeds === undefined ? r.repo! : `${r.succeeds} succeeded`}`;
}

void describe('AuthenticationServer.signOn: ssoAuthType × presented × right/wrong', () => {
  void it('covers every type × presentation × right/wrong', () => {
    assert.equal(ROWS.length, 4 * (2 + 2 + 4));
    const keys = new Set(ROWS.map((r) => `${r.type} ${r.presented} ${String(r.creds)}`));
    assert.equal(keys.size, ROWS.length);
  });

  for (const adapter of ADAPTERS) {
    void describe(adapter, () => {
      for (const row of ROWS) {
        void it(label(row), async () => {
          const r = await rig({ adapter, users: [await tarou({ ssoAuthType: row.type })] });
          const [pw, cert] =
            row.presented === 'both'
              ? row.creds
              : row.presented === 'pw'
                ? [row.creds as Right, undefined]
                : [undefined, row.creds as Right];
          const result = await r.signOn({
            ...(pw === undefined
              ? {}
              : { uid: 'tarou', password: pw === 'right' ? PASSWORD : WRONG }),
            ...(cert === undefined
              ? {}
              : { certificate: cert === 'right' ? certs.tarou : certs.nobody }),
          });
          const who = row.byCertificate === true ? certField(certs.nobody) : TAROU_DN;

          // One argon2id exactly when a password was presented, none otherwise.
          assert.equal(r.argon2id.calls.length, pw === undefined ? 0 : 1);

          if (row.succeeds !== undefined) {
            const ok = `Authentication(${row.succeeds}) succeeded.`;
            assert.deepEqual(r.lines, [repoLine(who, ok), authLine(who, ok)]);
            assert.ok(result.ok);
            assert.equal(result.user.dn, TAROU_DN);
            const opened = openCredential(r.key, result.token, NOW);
            assert.ok(opened.ok, JSON.stringify(opened));
            const issuedAt = NOW.getTime() / 1000;
            assert.deepEqual(opened.claims, {
              ...result.claims,
              dn: TAROU_DN,
              uid: 'tarou',
              method: row.succeeds,
              issuedAt,
              expiresAt: issuedAt + 480 * 60,
              sessionId: null,
            });
            assert.match(opened.claims.id, /^[0-9a-f]{32}$/);
          } else {
            const expected = [repoLine(who, row.repo!)];
            if (row.counted === true) {
              expected.push(repoLine(TAROU_DN, `Modification succeeded. (${COUNT})`));
            }
            expected.push(authLine(who, row.auth!));
            assert.deepEqual(r.lines, expected);
            assert.ok(!result.ok);
            assert.deepEqual(
              {
                method: result.method,
                cause: result.cause,
                prompt: result.prompt,
                lockedNow: result.lockedNow,
              },
              {
                method: /^Authentication\((\w+)\)/.exec(row.auth!)![1],
                cause: row.cause,
                prompt: row.prompt,
                lockedNow: false,
              },
            );
          }
          const stored = await r.users.findByUid('tarou');
          assert.equal(stored?.ssoFailureCount, row.counted === true ? 1 : 0);
          assert.equal(stored.ssoUserStatus, 'good');
          assert.deepEqual(r.system.lines, []);
        });
      }
    });
  }
});

void describe('AuthenticationServer.signOn: the credential', () => {
  const cases: [string, number | undefined, number, number | null][] = [
    // [label, ssoCredentialTTL, default interval, expected minutes (null: no limit)]
    ['omitted → the server default', undefined, 480, 480],
    ['omitted with default 0 → no limit', undefined, 0, null],
    ['0 → no limit', 0, 480, null],
    ['1 → 30', 1, 480, 30],
    ['29 → 30', 29, 480, 30],
    ['30', 30, 480, 30],
    ['45', 45, 480, 45],
    ['1440', 1440, 480, 1440],
    ['1441 → 1440', 1441, 480, 1440],
    ['999999 → 1440', 999_999, 480, 1440],
  ];
  for (const [name, ttl, def, minutes] of cases) {
    void it(`ssoCredentialTTL ${name}`, async () => {
      const r = await rig({
        users: [await tarou(ttl === undefined ? {} : { ssoCredentialTTL: ttl })],
        defaultCredentialTtlMinutes: def,
      });
      const result = await r.signOn({ uid: 'tarou', password: PASSWORD });
      assert.ok(result.ok);
      const issuedAt = NOW.getTime() / 1000;
      const expiresAt = minutes === null ? null : issuedAt + minutes * 60;
      assert.equal(result.claims.expiresAt, expiresAt);
      const opened = openCredential(r.key, result.token, NOW);
      assert.ok(opened.ok);
      assert.equal(opened.claims.expiresAt, expiresAt);
      if (expiresAt !== null) {
        assert.ok(openCredential(r.key, result.token, new Date((expiresAt - 1) * 1000)).ok);
        assert.deepEqual(openCredential(r.key, result.token, new Date(expiresAt * 1000)), {
          ok: false,
          reason: 'expired',
        });
      } else {
        assert.ok(openCredential(r.key, result.token, new Date('2099-01-01T00:00:00Z')).ok);
      }
    });
  }

  void it('opens only with the key it was sealed with', async () => {
    const r = await rig({ users: [await tarou()] });
    const result = await r.signOn({ uid: 'tarou', password: PASSWORD });
    assert.ok(result.ok);
    const other = new Uint8Array(32).fill(8);
    assert.deepEqual(openCredential(other, result.token, NOW), { ok: false, reason: 'forged' });
  });

  void it('each sign-on gets its own credential id', async () => {
    const r = await rig({ users: [await tarou()] });
    const a = await r.signOn({ uid: 'tarou', password: PASSWORD });
    const b = await r.signOn({ uid: 'tarou', password: PASSWORD });
    assert.ok(a.ok && b.ok);
    assert.notEqual(a.claims.id, b.claims.id);
    assert.notEqual(a.token, b.token);
  });
});

void describe('AuthenticationServer.signOn: nothing presented', () => {
  void it('asks no repository server and writes one authentication line', async () => {
    const r = await rig({ users: [await tarou()] });
    const result = await r.signOn({ uid: 'tarou' });
    assert.deepEqual(result, {
      ok: false,
      method: 'unknown',
      cause: 'no_credentials',
      prompt: 'password',
      lockedNow: false,
    });
    assert.deepEqual(r.lines, [
      `192.0.2.7 - app.example.com - unknown ${TS} - "unknown" Authentication(unknown) failed. (User's ID/password and certificate do not exist) |`,
    ]);
    assert.equal(r.argon2id.calls.length, 0);
  });
});
