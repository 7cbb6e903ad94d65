/**
 * An in-memory {@link SessionStore} for tests, development and a single process that may lose
 * its sessions at a restart. Every method reads and writes within one synchronous section, so
 * JavaScript's run-to-completion makes each one atomic: of concurrent `delete`s of a session the
 * first to run takes it. Sessions are copied in and out (their `Date`s are mutable objects).
 */
import type { Session, SessionId, SessionState } from '../core/session.ts';
import type { ActivatedSession, Page, PageRequest, SessionStore } from './session-store.ts';
import {
  checkPageLimit,
  checkSessionText,
  compareSessions,
  parseSessionCursor,
  sessionCursor,
} from './session-store.ts';

const copy = (s: Session): Session => ({
  ...s,
  createdAt: new Date(s.createdAt.getTime()),
  lastUsedAt: new Date(s.lastUsedAt.getTime()),
  authenticatedAt: new Date(s.authenticatedAt.getTime()),
  reauthAt: s.reauthAt === undefined ? undefined : new Date(s.reauthAt.getTime()),
});

export class MemorySessionStore implements SessionStore {
  readonly #sessions = new Map<string, Session>();

  #ofUid(uid: string): Session[] {
    return [...this.#sessions.values()].filter((s) => s.uid === uid).sort(compareSessions);
  }

  create(s: Session): Promise<boolean> {
    try {
      checkSessionText(s);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.#sessions.has(s.id)) {
      return Promise.reject(new Error('session identifier already stored'));
    }
    if (s.state === 'active' && this.#ofUid(s.uid).some((o) => o.state === 'active')) {
      return Promise.resolve(false);
    }
    this.#sessions.set(s.id, copy(s));
    return Promise.resolve(true);
  }

  get(id: SessionId): Promise<Session | undefined> {
    const s = this.#sessions.get(id);
    return Promise.resolve(s === undefined ? undefined : copy(s));
  }

  byUid(uid: string): Promise<readonly Session[]> {
    return Promise.resolve(this.#ofUid(uid).map(copy));
  }

  touch(id: SessionId, now: Date): Promise<boolean> {
    const s = this.#sessions.get(id);
    if (s === undefined) return Promise.resolve(false);
    if (now.getTime() > s.lastUsedAt.getTime()) {
      this.#sessions.set(id, { ...s, lastUsedAt: new Date(now.getTime()) });
    }
    return Promise.resolve(true);
  }

  activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined> {
    const s = this.#sessions.get(id);
    if (s?.state !== 'pending_forced') return Promise.resolve(undefined);
    const replaced = this.#ofUid(s.uid).filter((o) => o.state === 'active');
    for (const o of replaced) this.#sessions.delete(o.id);
    const t = Math.max(now.getTime(), s.lastUsedAt.getTime());
    const session: Session = { ...s, state: 'active', lastUsedAt: new Date(t) };
    this.#sessions.set(id, session);
    return Promise.resolve({ session: copy(session), replaced });
  }

  delete(id: SessionId, state?: SessionState): Promise<Session | undefined> {
    const s = this.#sessions.get(id);
    if (s === undefined || (state !== undefined && s.state !== state)) {
      return Promise.resolve(undefined);
    }
    this.#sessions.delete(id);
    return Promise.resolve(s);
  }

  deleteByUid(uid: string): Promise<readonly Session[]> {
    const gone = this.#ofUid(uid);
    for (const s of gone) this.#sessions.delete(s.id);
    return Promise.resolve(gone);
  }

  list(page: PageRequest): Promise<Page<Session>> {
    try {
      checkPageLimit(page.limit);
      const all = [...this.#sessions.values()].sort(compareSessions);
      let from = 0;
      if (page.cursor !== undefined) {
        const c = parseSessionCursor(page.cursor);
        const i = all.findIndex(
          (s) =>
            s.createdAt.getTime() > c.createdAt ||
            (s.createdAt.getTime() === c.createdAt && s.id > c.id),
        );
        from = i < 0 ? all.length : i;
      }
      const items = all.slice(from, from + page.limit);
      const last = items.at(-1);
      const more = from + page.limit < all.length;
      return Promise.resolve({
        items: items.map(copy),
        nextCursor: more && last !== undefined ? sessionCursor(last) : undefined,
      });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}
