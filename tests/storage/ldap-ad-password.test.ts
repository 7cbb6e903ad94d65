/**
 * Password verification in Active Directory mode (`LdapUserRepository.passwordVerifier`):
 * a simple bind as the user's DN on a connection of its own, against slapd holding AD-style
 * entries with passwords (tests/helpers/ad-directory.ts). slapd logs every operation (`stats`),
 * so the tests see which binds reached the directory, as which DN, and over TLS; and it accepts
 * an unauthenticated bind (a DN with an empty password) as anonymous, as AD does — the hole an
 * empty password would open if it were ever sent.
 *
 * AD's own sub-codes (data 52e, 775, …) cannot come from slapd: adBindVerdict is checked on the
 * diagnostic messages AD sends.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Client } from 'ldapts';
import { isRepositoryUnavailable } from '../../src/sso/core/errors.ts';
import type { SsoUser } from '../../src/sso/core/user.ts';
import type { PasswordVerifier } from '../../src/sso/ports/user-repository.ts';
import {
  AD_BIND_SUBCODES,
  adBindSubcode,
  adBindVerdict,
  toFileTime,
} from '../../src/storage/ldap/active-directory.ts';
import { LdapPool, type LdapConnectionOptions } from '../../src/storage/ldap/connection.ts';
import { ReplicatedUserRepository } from '../../src/storage/ldap/replicated-user-repository.ts';
import {
  LdapUserRepository,
  MAX_BIND_PASSWORD_BYTES,
  bindablePassword,
} from '../../src/storage/ldap/user-store.ts';
import { AD_USERS, adUser, startAdSlapd } from '../helpers/ad-directory.ts';
import { simpleBinds } from '../helpers/slapd.ts';

const ALICE_PW = 'Alice-pw-1';
const HANAKO_PW = 'はなこのパスワード';

const slapd = await startAdSlapd(
  [
    adUser('Alice', { password: ALICE_PW }),
    adUser('Bob', { password: 'Bob-pw-1', lines: [`lockoutTime: ${toFileTime(new Date())}`] }),
    adUser('Hanako', { password: HANAKO_PW, rdn: 'Yamada\\, Hanako' }),
    adUser('Nopw'),
  ],
  { stats: true, allowUnauthenticatedBind: true },
);
after(() => slapd.close());
const ca = readFileSync(slapd.caFile, 'utf8');

const pools: LdapPool[] = [];
after(() => Promise.all(pools.map((p) => p.close())));
function adRepository(o: Partial<LdapConnectionOptions> = {}): LdapUserRepository {
  const pool = new LdapPool({
    url: slapd.ldapsUrl,
    ca,
    bindDn: slapd.serviceDn,
    bindPassword: slapd.servicePassword,
    timeoutMs: 2000,
    ...o,
  });
  pools.push(pool);
  return new LdapUserRepository({ pool, userBase: AD_USERS, mode: 'ad' });
}

const repo = adRepository();
const verifier: PasswordVerifier = repo.passwordVerifier!;
let alice: SsoUser;
before(async () => {
  const found = await repo.findByUid('alice');
  assert.ok(found);
  alice = found;
});

/** The simple binds slapd has logged while `fn` ran (lower-cased DNs, in order). */
async function bindsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const before = simpleBinds(slapd.log()).length;
  await fn();
  // slapd writes its log line before it answers; the pipe may deliver it a moment later.
  for (let i = 0; i < 100; i++) {
    const all = simpleBinds(slapd.log());
    if (all.length > before) {
      await new Promise((r) => setTimeout(r, 20));
      return simpleBinds(slapd.log()).slice(before);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return [];
}

/** A bind of the entry that does not exist: `cn=<32 hex digits>,ou=users,…`. */
const isNobody = (b: string): boolean =>
  /^cn=[0-9a-f]{32},ou=users,dc=corp,dc=test$/.test(b) && !b.includes('alice');

const unavailable = (reason: string) => (e: unknown) =>
  isRepositoryUnavailable(e) && e.reason === reason;

void describe('AD password verification by bind', () => {
  void it('the right password matches and a wrong one does not: one bind as the entry each', async () => {
    assert.equal(alice.userPassword, undefined, 'AD gives no password to compare');
    let verdict: unknown;
    const binds = await bindsDuring(async () => {
      verdict = await verifier.verify(alice, ALICE_PW);
    });
    assert.equal(verdict, 'match');
    assert.deepEqual(binds, [alice.dn.toLowerCase()]);
    const wrong = await bindsDuring(async () => {
      verdict = await verifier.verify(alice, 'Alice-pw-2');
    });
    assert.equal(verdict, 'mismatch');
    assert.deepEqual(wrong, [alice.dn.toLowerCase()]);
  });

  void it('binds as the DN the directory holds, escapes and all; the user ID is never a DN', async () => {
    const hanako = await repo.findByUid('hanako');
    assert.ok(hanako);
    assert.equal(await verifier.verify(hanako, HANAKO_PW), 'match');
    assert.equal(await verifier.verify(hanako, 'はなこ'), 'mismatch');
    // A user ID that is a DN, or filter syntax, finds nobody: nothing to bind as.
    for (const uid of [alice.dn, '*', 'alice)(sAMAccountName=*', 'alice\0', 'a'.repeat(2000)]) {
      assert.equal(await repo.findByUid(uid), undefined, uid);
    }
  });

  void it('an empty password is never sent: this directory would take it as anonymous', async () => {
    // The hole: a DN with an empty password is an unauthenticated bind, which succeeds here
    // (as on AD) without any password being checked.
    const raw = new Client({ url: slapd.ldapsUrl, tlsOptions: { ca } });
    await raw.bind(alice.dn, '');
    await raw.unbind();

    let verdict: unknown;
    const binds = await bindsDuring(async () => {
      verdict = await verifier.verify(alice, '');
    });
    assert.equal(verdict, 'mismatch');
    assert.equal(binds.length, 1, 'one bind: the cost of a check');
    assert.ok(isNobody(binds[0]!), `not as the user: ${binds[0]}`);
    // And the pool refuses to make one at all.
    const pool = new LdapPool({
      url: slapd.ldapsUrl,
      ca,
      bindDn: slapd.serviceDn,
      bindPassword: slapd.servicePassword,
    });
    pools.push(pool);
    await assert.rejects(pool.bindAs(alice.dn, ''), RangeError);
    await assert.rejects(pool.bindAs('', 'x'), RangeError);
  });

  void it('hostile passwords — NUL, 64 KiB, a lone surrogate — are refused unsent, one dummy bind each', async () => {
    const hostile = [
      `${ALICE_PW}\0`,
      `${ALICE_PW}\0trailing`,
      ALICE_PW + 'x'.repeat(64 * 1024),
      'x'.repeat(MAX_BIND_PASSWORD_BYTES + 1),
      `${ALICE_PW}\ud800`,
    ];
    for (const pw of hostile) {
      assert.equal(bindablePassword(pw), false);
      let verdict: unknown;
      const binds = await bindsDuring(async () => {
        verdict = await verifier.verify(alice, pw);
      });
      assert.equal(verdict, 'mismatch');
      assert.equal(binds.length, 1);
      assert.ok(isNobody(binds[0]!), binds[0]);
    }
    assert.equal(bindablePassword('x'.repeat(MAX_BIND_PASSWORD_BYTES)), true);
    assert.equal(bindablePassword('パスワード'), true);
    // A long password that may be sent is: the directory answers it.
    assert.equal(await verifier.verify(alice, 'y'.repeat(MAX_BIND_PASSWORD_BYTES)), 'mismatch');
  });

  void it('dummyVerify costs one bind, as nobody; a user without a password is refused', async () => {
    let verdict: unknown;
    const binds = await bindsDuring(async () => {
      verdict = await verifier.dummyVerify(ALICE_PW);
    });
    assert.equal(verdict, 'mismatch');
    assert.equal(binds.length, 1);
    assert.ok(isNobody(binds[0]!), binds[0]);
    const nopw = await repo.findByUid('nopw');
    assert.ok(nopw);
    assert.equal(await verifier.verify(nopw, 'anything'), 'mismatch');
  });

  void it('the bind goes over TLS, LDAPS or StartTLS, never on a pooled service connection', async () => {
    const starttls = adRepository({ url: slapd.url, startTls: true, poolSize: 1 });
    const ldaps = adRepository({ poolSize: 1 });
    for (const r of [ldaps, starttls]) {
      const before = slapd.log().length;
      assert.equal(await r.passwordVerifier!.verify(alice, ALICE_PW), 'match');
      // The one pooled connection is still the service account's: it reads what Alice may not
      // (this directory's ACL lets only the service account read entries).
      const bob = await r.findByUid('bob');
      assert.equal(bob?.ssoUserStatus, 'locked');
      await new Promise((res) => setTimeout(res, 50));
      const line = slapd
        .log()
        .slice(before)
        .split('\n')
        .find((l) => l.toLowerCase().includes(`bind dn="${alice.dn.toLowerCase()}" mech=simple`));
      assert.ok(line, 'the user bind was logged');
      assert.match(line, / ssf=(\d+)/);
      assert.ok(Number(/ ssf=(\d+)/.exec(line)![1]) >= 128, `TLS: ${line}`);
    }
  });

  void it('at most pool-size binds at once; the others wait their turn', async () => {
    const r = adRepository({ poolSize: 1 });
    const verdicts = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        r.passwordVerifier!.verify(alice, i % 2 === 0 ? ALICE_PW : 'wrong'),
      ),
    );
    assert.deepEqual(verdicts, ['match', 'mismatch', 'match', 'mismatch', 'match', 'mismatch']);
  });

  void it('the directory down: verify and dummyVerify fail as SSO_REPOSITORY_UNAVAILABLE', async () => {
    const r = adRepository({ timeoutMs: 1000 });
    await slapd.stop();
    try {
      await assert.rejects(r.passwordVerifier!.verify(alice, ALICE_PW), unavailable('connect'));
      await assert.rejects(r.passwordVerifier!.dummyVerify(ALICE_PW), unavailable('connect'));
    } finally {
      await slapd.start();
    }
    assert.equal(await r.passwordVerifier!.verify(alice, ALICE_PW), 'match');
  });

  void it('a directory that never answers the bind: timeout', async () => {
    const sockets = new Set<net.Socket>();
    const hung = net.createServer((s) => sockets.add(s));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = hung.address() as net.AddressInfo;
      const r = adRepository({ url: `ldaps://127.0.0.1:${port}`, timeoutMs: 300 });
      await assert.rejects(r.passwordVerifier!.verify(alice, ALICE_PW), unavailable('timeout'));
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  });

  void it('update and reference servers: the update server checks, a reference one when it is down', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const down = adRepository({ url: `ldaps://127.0.0.1:${port}`, timeoutMs: 500 });
    const up = adRepository();
    const upFirst = new ReplicatedUserRepository({
      update: { name: 'update', repo: up },
      references: [{ name: 'reference', repo: down }],
    });
    const served: string[] = [];
    const downFirst = new ReplicatedUserRepository({
      update: { name: 'update', repo: down },
      references: [{ name: 'reference', repo: up }],
      onEvent: (e) => served.push(`${e.kind} ${e.server}`),
    });
    assert.equal(await upFirst.passwordVerifier!.verify(alice, ALICE_PW), 'match');
    assert.equal(await downFirst.passwordVerifier!.verify(alice, ALICE_PW), 'match');
    assert.deepEqual(served, ['unavailable update', 'served reference']);
    served.length = 0;
    assert.equal(await downFirst.passwordVerifier!.dummyVerify(ALICE_PW), 'mismatch');
    assert.deepEqual(served, ['unavailable update', 'served reference']);
    // The embedded and OpenLDAP repositories have none: the repository server compares hashes.
    assert.equal(
      new LdapUserRepository({ pool: pools[0]!, userBase: AD_USERS }).passwordVerifier,
      undefined,
    );
  });
});

void describe("AD's answers to a refused bind", () => {
  // As AD writes them (result 49, invalidCredentials); the DSID and version vary by build.
  const diag = (data: string): string =>
    `80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data ${data}, v4563\u0000`;

  void it('reads the sub-code and maps each to the outcome of the same account state', () => {
    assert.equal(adBindSubcode(diag('52e')), '52e');
    assert.equal(adBindSubcode(diag('52E')), '52e');
    assert.equal(adBindSubcode(''), undefined);
    assert.equal(adBindSubcode('Invalid credentials'), undefined);
    const expected: Record<string, string> = {
      '52e': 'mismatch',
      '525': 'no_such_user',
      '530': 'disabled',
      '531': 'disabled',
      '532': 'password_expired',
      '533': 'disabled',
      '701': 'disabled',
      '773': 'password_expired',
      '775': 'locked',
    };
    assert.deepEqual({ ...AD_BIND_SUBCODES }, expected);
    for (const [data, verdict] of Object.entries(expected)) {
      assert.equal(adBindVerdict({ ok: false, code: 49, diagnostic: diag(data) }), verdict, data);
    }
  });

  void it('no sub-code (OpenLDAP) or an unknown one is a wrong password; 48 is no password', () => {
    assert.equal(adBindVerdict({ ok: true }), 'match');
    assert.equal(adBindVerdict({ ok: false, code: 49, diagnostic: '' }), 'mismatch');
    assert.equal(adBindVerdict({ ok: false, code: 49, diagnostic: diag('568') }), 'mismatch');
    assert.equal(adBindVerdict({ ok: false, code: 48, diagnostic: '' }), 'no_password');
  });
});
