/**
 * The contract of `UserRepository` (src/sso/ports/user-repository.ts). Every adapter runs it:
 * `describeUserRepositoryContract('sqlite', async () => ({ repo, close }))`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SsoError } from '../../../src/sso/core/errors.ts';
import { lockoutPolicy } from '../../../src/sso/core/lockout.ts';
import { newSsoUser, userDn } from '../../../src/sso/core/user.ts';
import type { UserRepository } from '../../../src/sso/ports/user-repository.ts';
import { matchesPrefix } from '../../../src/sso/ports/user-repository.ts';

export interface ContractSubject {
  readonly repo: UserRepository;
  /** Releases what the factory acquired. */
  readonly close?: () => Promise<void>;
}

const T0 = new Date('2030-01-01T00:00:00Z');

// Users carry `cn` and `sn`: their object classes (person, inetOrgPerson) require them (RFC 4519
// §3.12), and a directory that checks its schema — the LDAP adapters — refuses an entry without.
function alice() {
  return newSsoUser('uid=alice,ou=User,o=example', 'alice', {
    cn: ['Alice Example'],
    sn: ['Example'],
    mail: ['Alice@Example.com'],
    employeeNumber: 'E100',
    userPassword: '{SSHA}x',
  });
}

async function withRepo(
  factory: () => Promise<ContractSubject>,
  body: (repo: UserRepository) => Promise<void>,
): Promise<void> {
  const s = await factory();
  try {
    await body(s.repo);
  } finally {
    await s.close?.();
  }
}

function isCode(code: string) {
  return (e: unknown): boolean => e instanceof SsoError && e.code === code;
}

/** Registers the contract suite for one adapter. */
export function describeUserRepositoryContract(
  name: string,
  factory: () => Promise<ContractSubject>,
): void {
  void describe(`UserRepository contract: ${name}`, () => {
    void it('adds and finds by uid, DN (case-insensitive) and certificate attribute', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        assert.deepEqual(await repo.findByUid('alice'), a);
        assert.equal(await repo.findByUid('Alice'), undefined);
        assert.deepEqual(await repo.findByDn(userDn('UID=Alice,OU=User,O=Example')), a);
        assert.deepEqual(await repo.findByCertificate('mail', 'alice@example.COM'), [a]);
        assert.deepEqual(await repo.findByCertificate('employeeNumber', 'e100'), [a]);
        assert.deepEqual(await repo.findByCertificate('serialNumber', 'E100'), []);
      }));

    void it('refuses a duplicate DN or uid with SSO_USER_EXISTS', () =>
      withRepo(factory, async (repo) => {
        await repo.add(alice());
        await assert.rejects(repo.add(alice()), isCode('SSO_USER_EXISTS'));
        await assert.rejects(
          repo.add(newSsoUser('uid=alice2,o=example', 'alice')),
          isCode('SSO_USER_EXISTS'),
        );
      }));

    void it('modifies and deletes; SSO_USER_NOT_FOUND for an absent DN', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const m = await repo.modify(a.dn, { ssoAuthType: 'certAuth', mail: [] });
        assert.equal(m.ssoAuthType, 'certAuth');
        assert.deepEqual((await repo.findByDn(a.dn))?.mail, []);
        await repo.delete(a.dn);
        assert.equal(await repo.findByDn(a.dn), undefined);
        const ghost = userDn('uid=ghost,o=example');
        await assert.rejects(repo.delete(ghost), isCode('SSO_USER_NOT_FOUND'));
        await assert.rejects(repo.modify(ghost, {}), isCode('SSO_USER_NOT_FOUND'));
        await assert.rejects(
          repo.recordFailure(ghost, lockoutPolicy(), T0),
          isCode('SSO_USER_NOT_FOUND'),
        );
        await assert.rejects(repo.unlock(ghost), isCode('SSO_USER_NOT_FOUND'));
        await assert.rejects(repo.resetFailures(ghost), isCode('SSO_USER_NOT_FOUND'));
      }));

    void it('records failures, locks at the threshold, and reports already_locked after', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const policy = lockoutPolicy({ maxFailureCount: 3 });
        const events: string[] = [];
        for (let i = 0; i < 5; i++) events.push((await repo.recordFailure(a.dn, policy, T0)).event);
        assert.deepEqual(events, [
          'counted',
          'counted',
          'locked',
          'already_locked',
          'already_locked',
        ]);
        const u = await repo.findByDn(a.dn);
        assert.ok(u);
        assert.equal(u.ssoUserStatus, 'locked');
        assert.equal(u.ssoFailureCount, 3);
        assert.equal(u.ssoLockTimeStamp?.getTime(), T0.getTime());
      }));

    void it('resetFailures and unlock return the user to good with count 0', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const policy = lockoutPolicy({ maxFailureCount: 2 });
        await repo.recordFailure(a.dn, policy, T0);
        assert.deepEqual(await repo.resetFailures(a.dn), {
          failureCount: 1,
          locked: false,
          lockTimestamp: undefined,
        });
        assert.equal((await repo.findByDn(a.dn))?.ssoFailureCount, 0);
        await repo.recordFailure(a.dn, policy, T0);
        await repo.recordFailure(a.dn, policy, T0);
        const previous = await repo.unlock(a.dn);
        assert.equal(previous.locked, true);
        assert.equal(previous.failureCount, 2);
        assert.equal(previous.lockTimestamp?.getTime(), T0.getTime());
        assert.deepEqual(await repo.unlock(a.dn), {
          failureCount: 0,
          locked: false,
          lockTimestamp: undefined,
        });
        const u = await repo.findByDn(a.dn);
        assert.ok(u);
        assert.equal(u.ssoUserStatus, 'good');
        assert.equal(u.ssoFailureCount, 0);
        assert.equal(u.ssoLockTimeStamp, undefined);
      }));

    void it('releases an expired lock inside recordFailure and counts from zero', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const policy = lockoutPolicy({ maxFailureCount: 1, lockOutTimeMinutes: 10 });
        assert.equal((await repo.recordFailure(a.dn, policy, T0)).event, 'locked');
        const later = new Date(T0.getTime() + 10 * 60_000);
        const r = await repo.recordFailure(a.dn, policy, later);
        assert.equal(r.event, 'locked');
        assert.equal(r.released, true);
        assert.equal((await repo.findByDn(a.dn))?.ssoLockTimeStamp?.getTime(), later.getTime());
      }));

    void it('of 20 parallel releases of one lock, exactly one replaces the locked state', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const policy = lockoutPolicy({ maxFailureCount: 1 });
        await repo.recordFailure(a.dn, policy, T0);
        const previous = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            i % 2 === 0 ? repo.unlock(a.dn) : repo.resetFailures(a.dn),
          ),
        );
        assert.equal(previous.filter((p) => p.locked).length, 1);
      }));

    void it('100 parallel failures with threshold 5 lock exactly once, count never past 5', () =>
      withRepo(factory, async (repo) => {
        const a = alice();
        await repo.add(a);
        const policy = lockoutPolicy({ maxFailureCount: 5 });
        const results = await Promise.all(
          Array.from({ length: 100 }, () => repo.recordFailure(a.dn, policy, T0)),
        );
        const count = (e: string) => results.filter((r) => r.event === e).length;
        assert.equal(count('locked'), 1);
        assert.equal(count('counted'), 4);
        assert.equal(count('already_locked'), 95);
        for (const r of results) assert.ok(r.state.failureCount <= 5);
        const u = await repo.findByDn(a.dn);
        assert.ok(u);
        assert.equal(u.ssoFailureCount, 5);
        assert.equal(u.ssoUserStatus, 'locked');
      }));

    void it('lists users by DN in pages', () =>
      withRepo(factory, async (repo) => {
        for (const n of ['c', 'a', 'e', 'b', 'd']) {
          await repo.add(newSsoUser(`uid=${n},o=example`, n, { cn: [n], sn: [n] }));
        }
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const p = await repo.listUsers({ cursor, limit: 2 });
          seen.push(...p.items.map((u) => u.uid));
          cursor = p.nextCursor;
          pages++;
        } while (cursor !== undefined);
        assert.deepEqual(seen, ['a', 'b', 'c', 'd', 'e']);
        assert.equal(pages, 3);
      }));

    void it('pages narrowed by a prefix hold every match once, in DN order, with the same cursor', () =>
      withRepo(factory, async (repo) => {
        const u = (uid: string, cn: string) =>
          newSsoUser(`uid=${uid},ou=User,o=example`, uid, { cn: [cn], sn: ['S'] });
        for (const [uid, cn] of [
          ['al1', 'x'],
          ['bob', 'Alfred Bob'],
          ['al2', 'y'],
          ['carol', 'Carol'],
          ['AL3', 'z'],
          ['dave', 'al (*)'],
          ['erin', 'Erin'],
        ] as const) {
          await repo.add(u(uid, cn));
        }
        const walk = async (prefix: string, limit: number): Promise<string[]> => {
          const seen: string[] = [];
          let cursor: string | undefined;
          do {
            const p = await repo.listUsers({ cursor, limit, prefix });
            seen.push(
              ...p.items.filter((x) => matchesPrefix(x, prefix.toLowerCase())).map((x) => x.uid),
            );
            cursor = p.nextCursor;
          } while (cursor !== undefined);
          return seen;
        };
        // A repository may return others too (the caller filters); never fewer, never twice.
        for (const limit of [1, 2, 10]) {
          assert.deepEqual(await walk('al', limit), ['al1', 'al2', 'AL3', 'bob', 'dave']);
          assert.deepEqual(await walk('AL (', limit), ['dave']);
          assert.deepEqual(await walk('*', limit), []);
        }
        // The cursor of a narrowed page continues an unnarrowed walk, and the other way round.
        const first = await repo.listUsers({ cursor: undefined, limit: 2, prefix: 'al' });
        const rest = await repo.listUsers({ cursor: first.nextCursor, limit: 10 });
        assert.deepEqual(
          [...first.items, ...rest.items].map((x) => x.uid),
          ['al1', 'al2', 'AL3', 'bob', 'carol', 'dave', 'erin'],
        );
        const plain = await repo.listUsers({ cursor: undefined, limit: 3 });
        const narrowed = await repo.listUsers({
          cursor: plain.nextCursor,
          limit: 10,
          prefix: 'al',
        });
        assert.deepEqual(
          narrowed.items.filter((x) => matchesPrefix(x, 'al')).map((x) => x.uid),
          ['bob', 'dave'],
        );
      }));

    void it('searches by the start of the user ID or a common name, sorted by user ID', () =>
      withRepo(factory, async (repo) => {
        const u = (uid: string, cn: string) =>
          newSsoUser(`uid=${uid},ou=User,o=example`, uid, { cn: [cn], sn: ['S'] });
        await repo.add(alice());
        await repo.add(u('bob', 'Robert Bob'));
        await repo.add(u('Alfred', 'Al'));
        await repo.add(u('carol', 'Carol (*)'));
        const uids = async (prefix: string, limit = 10) => {
          const r = await repo.searchUsers({ prefix, limit });
          return { uids: r.items.map((x) => x.uid), truncated: r.truncated };
        };
        assert.deepEqual(await uids('al'), { uids: ['Alfred', 'alice'], truncated: false });
        assert.deepEqual(await uids('ROB'), { uids: ['bob'], truncated: false });
        assert.deepEqual(await uids('alice example'), { uids: ['alice'], truncated: false });
        assert.deepEqual(await uids(''), {
          uids: ['Alfred', 'alice', 'bob', 'carol'],
          truncated: false,
        });
        // A prefix is text, never a filter: `*` and parentheses match themselves only.
        assert.deepEqual(await uids('*'), { uids: [], truncated: false });
        assert.deepEqual(await uids('carol (*'), { uids: ['carol'], truncated: false });
        assert.deepEqual(await uids('zz'), { uids: [], truncated: false });
        const one = await repo.searchUsers({ prefix: 'al', limit: 1 });
        assert.equal(one.truncated, true);
        assert.equal(one.items.length, 1);
        assert.ok(['Alfred', 'alice'].includes(one.items[0]!.uid));
        await assert.rejects(repo.searchUsers({ prefix: '', limit: 0 }), RangeError);
        await assert.rejects(repo.searchUsers({ prefix: 'x'.repeat(257), limit: 5 }), RangeError);
      }));
  });
}
