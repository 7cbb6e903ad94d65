/**
 * The contract of `SessionStore` (src/sso/ports/session-store.ts). Every adapter runs it:
 * `describeSessionStoreContract('sqlite', async () => ({ store, close }))`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Session, SessionState } from '../../../src/sso/core/session.ts';
import { newSessionId } from '../../../src/sso/core/session.ts';
import { userDn } from '../../../src/sso/core/user.ts';
import type { SessionStore } from '../../../src/sso/ports/session-store.ts';

export interface SessionStoreSubject {
  readonly store: SessionStore;
  /** Releases what the factory acquired. */
  readonly close?: () => Promise<void>;
}

export const T0 = new Date('2030-06-01T12:00:00.123Z');
const MINUTE = 60_000;
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * MINUTE);

/** A session of `uid` created `minutes` after T0. */
export function sessionOf(
  uid: string,
  state: SessionState = 'active',
  minutes = 0,
  fields: Partial<Session> = {},
): Session {
  return {
    id: newSessionId(),
    uid,
    dn: userDn(`uid=${uid},ou=users,o=example`),
    client: '192.0.2.7',
    createdAt: at(minutes),
    lastUsedAt: at(minutes),
    authenticatedAt: at(minutes),
    reauthAt: at(minutes + 60),
    state,
    ...fields,
  };
}

async function withStore(
  factory: () => Promise<SessionStoreSubject>,
  body: (store: SessionStore) => Promise<void>,
): Promise<void> {
  const s = await factory();
  try {
    await body(s.store);
  } finally {
    await s.close?.();
  }
}

const ids = (ss: readonly Session[]): string[] => ss.map((s) => s.id);

/** Registers the contract suite for one adapter. */
export function describeSessionStoreContract(
  name: string,
  factory: () => Promise<SessionStoreSubject>,
): void {
  void describe(`SessionStore contract: ${name}`, () => {
    void it('stores and reads back every field, undefined ones included', () =>
      withStore(factory, async (store) => {
        const a = sessionOf('alice');
        const b = sessionOf('bob', 'pending_forced', 1, { client: undefined, reauthAt: undefined });
        assert.equal(await store.create(a), true);
        assert.equal(await store.create(b), true);
        assert.deepEqual(await store.get(a.id), a);
        assert.deepEqual(await store.get(b.id), b);
        assert.equal(await store.get(newSessionId()), undefined);
      }));

    void it('keeps hostile text verbatim', () =>
      withStore(factory, async (store) => {
        const s = sessionOf('x', 'active', 0, {
          uid: `a'; DROP TABLE sso_sessions; --\n"\u0001é\u{1F600}`,
          dn: userDn('uid=a\\,b,o="q"\u2028'),
          client: '::1\r\n',
        });
        assert.equal(await store.create(s), true);
        assert.deepEqual(await store.get(s.id), s);
        assert.deepEqual(ids(await store.byUid(s.uid)), [s.id]);
      }));

    void it('refuses U+0000 in a text field (SQLite would cut the text there)', () =>
      withStore(factory, async (store) => {
        for (const fields of [
          { uid: 'alice\u0000x' },
          { dn: userDn('uid=a\u0000,o=x') },
          { client: '192.0.2.7\u0000' },
        ]) {
          const s = sessionOf('alice', 'active', 0, fields);
          await assert.rejects(store.create(s), RangeError);
          assert.equal(await store.get(s.id), undefined);
        }
      }));

    void it('refuses a second active session of a user ID; pending ones are always stored', () =>
      withStore(factory, async (store) => {
        const first = sessionOf('alice');
        assert.equal(await store.create(first), true);
        const second = sessionOf('alice', 'active', 1);
        assert.equal(await store.create(second), false);
        assert.equal(await store.get(second.id), undefined);
        const p1 = sessionOf('alice', 'pending_forced', 2);
        const p2 = sessionOf('alice', 'pending_forced', 3);
        assert.equal(await store.create(p1), true);
        assert.equal(await store.create(p2), true);
        assert.equal(await store.create(sessionOf('Alice')), true, 'user IDs are exact');
        assert.deepEqual(ids(await store.byUid('alice')), [first.id, p1.id, p2.id]);
      }));

    void it('of concurrent creates of active sessions for one user ID exactly one is stored', () =>
      withStore(factory, async (store) => {
        const tries = Array.from({ length: 20 }, (_, i) => sessionOf('alice', 'active', i));
        const results = await Promise.all(tries.map((s) => store.create(s)));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await store.byUid('alice')).length, 1);
      }));

    void it('rejects an identifier that is already stored', () =>
      withStore(factory, async (store) => {
        const s = sessionOf('alice', 'pending_forced');
        await store.create(s);
        await assert.rejects(store.create({ ...s, uid: 'bob' }));
        assert.deepEqual(await store.get(s.id), s);
      }));

    void it('byUid: exact user ID, oldest first', () =>
      withStore(factory, async (store) => {
        const later = sessionOf('alice', 'pending_forced', 5);
        const earlier = sessionOf('alice', 'active', 1);
        await store.create(later);
        await store.create(earlier);
        await store.create(sessionOf('alicE'));
        assert.deepEqual(ids(await store.byUid('alice')), [earlier.id, later.id]);
        assert.deepEqual(await store.byUid('nobody'), []);
      }));

    void it('touch moves lastUsedAt forward only, and says whether the session exists', () =>
      withStore(factory, async (store) => {
        const s = sessionOf('alice');
        await store.create(s);
        assert.equal(await store.touch(s.id, at(10)), true);
        assert.deepEqual((await store.get(s.id))?.lastUsedAt, at(10));
        assert.equal(await store.touch(s.id, at(5)), true);
        assert.deepEqual((await store.get(s.id))?.lastUsedAt, at(10));
        assert.equal(await store.touch(newSessionId(), at(11)), false);
        const after = await store.get(s.id);
        assert.deepEqual(after, { ...s, lastUsedAt: at(10) });
      }));

    void it('delete returns what it removed; of concurrent deletes exactly one gets it', () =>
      withStore(factory, async (store) => {
        const s = sessionOf('alice');
        await store.create(s);
        const results = await Promise.all(Array.from({ length: 25 }, () => store.delete(s.id)));
        const got = results.filter((r) => r !== undefined);
        assert.deepEqual(got, [s]);
        assert.equal(await store.get(s.id), undefined);
        assert.equal(await store.delete(s.id), undefined);
      }));

    void it('delete with a state removes only a session in that state', () =>
      withStore(factory, async (store) => {
        const a = sessionOf('alice');
        const p = sessionOf('alice', 'pending_forced', 1);
        await store.create(a);
        await store.create(p);
        assert.equal(await store.delete(a.id, 'pending_forced'), undefined);
        assert.equal(await store.delete(p.id, 'active'), undefined);
        assert.deepEqual(await store.delete(p.id, 'pending_forced'), p);
        assert.deepEqual(await store.delete(a.id, 'active'), a);
        assert.deepEqual(await store.byUid('alice'), []);
      }));

    void it('deleteByUid removes every session of the user ID and nothing else', () =>
      withStore(factory, async (store) => {
        const a = sessionOf('alice', 'active', 0);
        const p = sessionOf('alice', 'pending_forced', 2);
        const b = sessionOf('bob');
        for (const s of [p, a, b]) await store.create(s);
        const [first, second] = await Promise.all([
          store.deleteByUid('alice'),
          store.deleteByUid('alice'),
        ]);
        assert.deepEqual([...first, ...second], [a, p]);
        assert.deepEqual(await store.byUid('alice'), []);
        assert.deepEqual(await store.get(b.id), b);
      }));

    void it('activate replaces the active session of the user ID, once', () =>
      withStore(factory, async (store) => {
        const old = sessionOf('alice', 'active', 0);
        const pending = sessionOf('alice', 'pending_forced', 3);
        const other = sessionOf('alice', 'pending_forced', 4);
        const bob = sessionOf('bob');
        for (const s of [old, pending, other, bob]) await store.create(s);
        const results = await Promise.all([
          store.activate(pending.id, at(5)),
          store.activate(pending.id, at(5)),
        ]);
        const done = results.filter((r) => r !== undefined);
        assert.equal(done.length, 1);
        const expected: Session = { ...pending, state: 'active', lastUsedAt: at(5) };
        assert.deepEqual(done[0], { session: expected, replaced: [old] });
        assert.deepEqual(await store.get(pending.id), expected);
        assert.equal(await store.get(old.id), undefined);
        assert.deepEqual(await store.get(other.id), other, 'other pending sessions stay');
        assert.deepEqual(await store.get(bob.id), bob);
        assert.equal(await store.create(sessionOf('alice', 'active', 6)), false);
      }));

    void it('activate: undefined for an active or absent session; nothing to replace is fine', () =>
      withStore(factory, async (store) => {
        const a = sessionOf('alice');
        await store.create(a);
        assert.equal(await store.activate(a.id, at(1)), undefined);
        assert.equal(await store.activate(newSessionId(), at(1)), undefined);
        const p = sessionOf('bob', 'pending_forced');
        await store.create(p);
        const r = await store.activate(p.id, at(1));
        assert.ok(r !== undefined);
        assert.deepEqual(r.replaced, []);
        assert.equal(r.session.state, 'active');
      }));

    void it('lists every session oldest first, a page at a time', () =>
      withStore(factory, async (store) => {
        const all = [3, 1, 4, 1, 5].map((m, i) =>
          sessionOf(`u${i}`, i % 2 === 0 ? 'active' : 'pending_forced', m),
        );
        for (const s of all) await store.create(s);
        const expected = [...all].sort(
          (a, b) => a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : 1),
        );
        const seen: Session[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ cursor, limit: 2 });
          seen.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== undefined);
        assert.equal(pages, 3);
        assert.deepEqual(seen, expected);
        const one = await store.list({ cursor: undefined, limit: 1000 });
        assert.deepEqual(one, { items: expected, nextCursor: undefined });
      }));

    void it('list refuses a bad limit or a cursor it did not issue', () =>
      withStore(factory, async (store) => {
        for (const limit of [0, 1001, 1.5, Number.NaN]) {
          await assert.rejects(store.list({ cursor: undefined, limit }), RangeError);
        }
        for (const cursor of ['', 'x', '1.abc', `99999999999999999.${newSessionId()}`]) {
          await assert.rejects(store.list({ cursor, limit: 10 }), RangeError);
        }
      }));
  });
}
