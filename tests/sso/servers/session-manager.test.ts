/**
 * SessionManager: the exact session-management and repository lines of every path, concurrency
 * (one winner per forced sign-on, one deletion per timed-out session), a restart on the SQLite
 * file, and hostile session identifiers refused before the store is asked.
 *
 * Every record is formatted at +0900 and parsed back with the grammar the moment it is written.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

import type { RepositoryRecord, SessionRecord } from '../../../src/logs/index.ts';
import {
  formatAccessLine,
  parseRepositoryLine,
  parseSessionLine,
} from '../../../src/logs/index.ts';
import type {
  Session,
  SessionId,
  SessionPolicy,
  SessionState,
} from '../../../src/sso/core/session.ts';
import { newSessionId, sessionPolicy } from '../../../src/sso/core/session.ts';
import type { SsoUser } from '../../../src/sso/core/user.ts';
import { newSsoUser } from '../../../src/sso/core/user.ts';
import { MemorySessionStore } from '../../../src/sso/ports/memory-session-store.ts';
import type {
  ActivatedSession,
  Page,
  PageRequest,
  SessionStore,
} from '../../../src/sso/ports/session-store.ts';
import { SessionManager } from '../../../src/sso/servers/session-manager.ts';
import { openDatabase } from '../../../src/storage/sqlite/database.ts';
import { SqliteSessionStore } from '../../../src/storage/sqlite/session-store.ts';

const NOW = new Date('2030-06-01T12:00:00Z');
const OFFSET = 540;
const CLIENT = '192.0.2.7';
const CLIENT2 = '192.0.2.8';
const AUTH = '10.0.0.2';
const TAROU_DN = 'uid=tarou,ou=users,dc=sekisho,dc=local';

/** `[YYYY/MM/DD HH:MM:SS +0900]` of NOW + `minutes`. */
function ts(minutes = 0): string {
  const t = new Date(NOW.getTime() + (minutes * 60 + 9 * 3600) * 1000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `[${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())} +0900]`;
}

const tarou = (fields: Partial<SsoUser> = {}): SsoUser =>
  newSsoUser(TAROU_DN, 'tarou', { ssoCredentialTTL: 0, ...fields });

/** A store that counts calls, to prove that hostile identifiers never reach it. */
class CountingStore implements SessionStore {
  calls = 0;
  readonly #inner: SessionStore;
  constructor(inner: SessionStore) {
    this.#inner = inner;
  }
  create(s: Session): Promise<boolean> {
    this.calls++;
    return this.#inner.create(s);
  }
  get(id: SessionId): Promise<Session | undefined> {
    this.calls++;
    return this.#inner.get(id);
  }
  byUid(uid: string): Promise<readonly Session[]> {
    this.calls++;
    return this.#inner.byUid(uid);
  }
  touch(id: SessionId, now: Date): Promise<boolean> {
    this.calls++;
    return this.#inner.touch(id, now);
  }
  activate(id: SessionId, now: Date): Promise<ActivatedSession | undefined> {
    this.calls++;
    return this.#inner.activate(id, now);
  }
  delete(id: SessionId, state?: SessionState): Promise<Session | undefined> {
    this.calls++;
    return this.#inner.delete(id, state);
  }
  deleteByUid(uid: string): Promise<readonly Session[]> {
    this.calls++;
    return this.#inner.deleteByUid(uid);
  }
  list(page: PageRequest): Promise<Page<Session>> {
    this.calls++;
    return this.#inner.list(page);
  }
}

interface Rig {
  readonly manager: SessionManager;
  readonly store: CountingStore;
  /** Session-management lines written so far (taken: the arrays are emptied by `take`). */
  readonly sessionLines: string[];
  readonly repositoryLines: string[];
  /** Moves the clock to NOW + `minutes`. */
  at(minutes: number): void;
  setPolicy(p: Partial<SessionPolicy>): void;
  /** The lines written since the last take. */
  take(): { session: string[]; repository: string[] };
}

function rig(
  options: { policy?: Partial<SessionPolicy>; store?: SessionStore; ttl?: number } = {},
): Rig {
  let clock = NOW;
  let policy = sessionPolicy(options.policy);
  const sessionLines: string[] = [];
  const repositoryLines: string[] = [];
  const store = new CountingStore(options.store ?? new MemorySessionStore());
  const manager = new SessionManager({
    store,
    policy: () => policy,
    defaultCredentialTtlMinutes: options.ttl ?? 0,
    logSession: (r: SessionRecord) => {
      const line = formatAccessLine(r, { timeZoneOffsetMinutes: OFFSET });
      assert.ok(parseSessionLine(line), line);
      sessionLines.push(line);
    },
    logRepository: (r: RepositoryRecord) => {
      const line = formatAccessLine(r, { timeZoneOffsetMinutes: OFFSET });
      assert.ok(parseRepositoryLine(line), line);
      repositoryLines.push(line);
    },
    now: () => clock,
  });
  return {
    manager,
    store,
    sessionLines,
    repositoryLines,
    at(minutes) {
      clock = new Date(NOW.getTime() + minutes * 60_000);
    },
    setPolicy(p) {
      policy = sessionPolicy(p);
    },
    take() {
      return {
        session: sessionLines.splice(0),
        repository: repositoryLines.splice(0),
      };
    },
  };
}

async function signedOn(r: Rig, user = tarou(), client = CLIENT): Promise<Session> {
  const res = await r.manager.signOn(user, client, AUTH, 'basicAuth');
  assert.equal(res.kind, 'created');
  return res.session;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

void describe('SessionManager: sign-on', () => {
  void it('registers a session: Registration succeeded. with the user ID', async () => {
    const r = rig();
    const s = await signedOn(r);
    assert.deepEqual(r.take(), {
      session: [`${ts()} "${s.id}" Registration succeeded. UserID="tarou" |`],
      repository: [],
    });
    assert.equal(s.state, 'active');
    assert.equal(s.client, CLIENT);
    assert.deepEqual(await r.store.get(s.id), s);
  });

  void it('reauthAt from the user, else the default interval', async () => {
    const r = rig({ ttl: 120 });
    const s = await signedOn(r, tarou({ ssoCredentialTTL: undefined }));
    assert.deepEqual(s.reauthAt, new Date(NOW.getTime() + 120 * 60_000));
    const j = await signedOn(r, newSsoUser('uid=jiro,o=x', 'jiro', { ssoCredentialTTL: 45 }));
    assert.deepEqual(j.reauthAt, new Date(NOW.getTime() + 45 * 60_000));
  });

  void it('refuses a second browser without forced sign-on: Already signed on', async () => {
    const r = rig({ policy: { forcedSignOn: false } });
    const s = await signedOn(r);
    r.take();
    r.at(1);
    const res = await r.manager.signOn(tarou(), CLIENT2, AUTH, 'basicAuth');
    assert.deepEqual(res, { kind: 'refused', existing: s });
    assert.deepEqual(r.take(), {
      session: [],
      repository: [
        `${AUTH} - ${CLIENT2} ${ts(1)} - "${TAROU_DN}" Authentication(basicAuth) failed. (Already signed on) SessionID="${s.id}" |`,
      ],
    });
    assert.equal((await r.store.byUid('tarou')).length, 1);
  });

  void it('offers forced sign-on to a second browser: a pending session is registered', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const s = await signedOn(r);
    r.take();
    r.at(2);
    const res = await r.manager.signOn(tarou(), CLIENT2, AUTH, 'certAuth');
    assert.ok(res.kind === 'conflict', res.kind);
    assert.deepEqual(res.existing, s);
    assert.equal(res.pending.state, 'pending_forced');
    assert.equal(res.pending.client, CLIENT2);
    assert.deepEqual(r.take(), {
      session: [`${ts(2)} "${res.pending.id}" Registration succeeded. UserID="tarou" |`],
      repository: [],
    });
    // The existing session is still usable; the pending one is not.
    assert.equal((await r.manager.validate(s.id, 'tarou', CLIENT)).ok, true);
    assert.deepEqual(await r.manager.validate(res.pending.id, 'tarou', CLIENT2), {
      ok: false,
      reason: 'not_found',
    });
    assert.deepEqual(r.take().repository.slice(1), [
      `unknown - ${CLIENT2} ${ts(2)} - "${TAROU_DN}" Session validation failed. (Invalid session state) SessionID="${res.pending.id}" |`,
    ]);
  });

  void it('deletes the stale session of the user first and signs on without a conflict', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 30 } });
    const s = await signedOn(r);
    r.take();
    r.at(45);
    const t = await signedOn(r, tarou(), CLIENT2);
    assert.deepEqual(r.take(), {
      session: [
        `${ts(45)} "${s.id}" Deletion(idle-timeout) succeeded. (Idle timeout) UserID="tarou" |`,
        `${ts(45)} "${t.id}" Registration succeeded. UserID="tarou" |`,
      ],
      repository: [],
    });
    assert.deepEqual(
      (await r.store.byUid('tarou')).map((x) => x.id),
      [t.id],
    );
  });

  void it('reads the policy at each sign-on', async () => {
    const r = rig({ policy: { forcedSignOn: false } });
    await signedOn(r);
    assert.equal((await r.manager.signOn(tarou(), CLIENT2, AUTH)).kind, 'refused');
    r.setPolicy({ forcedSignOn: true });
    assert.equal((await r.manager.signOn(tarou(), CLIENT2, AUTH)).kind, 'conflict');
    assert.match(
      r.take().repository[0] ?? '',
      /Authentication\(unknown\) failed\. \(Already signed on\)/,
    );
  });

  void it('concurrent sign-ons of one user: exactly one session is created', async () => {
    const r = rig({ policy: { forcedSignOn: false } });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => r.manager.signOn(tarou(), CLIENT, AUTH, 'basicAuth')),
    );
    assert.equal(results.filter((x) => x.kind === 'created').length, 1);
    assert.equal(results.filter((x) => x.kind === 'refused').length, 19);
    const { session, repository } = r.take();
    assert.equal(session.length, 1);
    assert.equal(repository.length, 19);
    assert.equal((await r.store.byUid('tarou')).length, 1);
  });
});

void describe('SessionManager: forced sign-on', () => {
  async function conflict(r: Rig): Promise<{ old: Session; pending: Session }> {
    const old = await signedOn(r);
    r.at(1);
    const res = await r.manager.signOn(tarou(), CLIENT2, AUTH, 'basicAuth');
    assert.ok(res.kind === 'conflict');
    r.take();
    return { old, pending: res.pending };
  }

  void it('confirm: Modification succeeded., the old session gone, the new one active', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const { old, pending } = await conflict(r);
    r.at(2);
    const res = await r.manager.confirmForcedSignOn(pending.id, {
      client: CLIENT2,
      authServer: AUTH,
    });
    assert.ok(res.ok);
    assert.deepEqual(res.replaced, [old]);
    assert.equal(res.session.state, 'active');
    assert.deepEqual(r.take(), {
      session: [`${ts(2)} "${pending.id}" Modification succeeded. UserID="tarou" |`],
      repository: [
        `${AUTH} - ${CLIENT2} ${ts(2)} - "${TAROU_DN}" Session modification succeeded. SessionID="${pending.id}" |`,
      ],
    });
    assert.deepEqual(await r.manager.validate(old.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'not_found',
    });
    assert.equal((await r.manager.validate(pending.id, 'tarou', CLIENT2)).ok, true);
  });

  void it('confirm after the confirmation time: Deletion(expired), Modification failed.', async () => {
    const r = rig({ policy: { forcedSignOn: true, idleTimeoutMinutes: 0 } });
    const { old, pending } = await conflict(r);
    r.at(11);
    assert.deepEqual(await r.manager.confirmForcedSignOn(pending.id, { client: CLIENT2 }), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(11)} "${pending.id}" Deletion(expired) succeeded. (Session expired) UserID="tarou" |`,
        `${ts(11)} "${pending.id}" Modification failed. UserID="tarou" |`,
      ],
      repository: [
        `unknown - ${CLIENT2} ${ts(11)} - "${TAROU_DN}" Session modification failed. (Session expired) SessionID="${pending.id}" |`,
      ],
    });
    assert.equal((await r.manager.validate(old.id, 'tarou', CLIENT)).ok, true);
  });

  void it('confirm of an active or unknown session fails without changing anything', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const { old } = await conflict(r);
    const unknown = newSessionId();
    assert.deepEqual(await r.manager.confirmForcedSignOn(old.id), {
      ok: false,
      reason: 'not_found',
    });
    assert.deepEqual(await r.manager.confirmForcedSignOn(unknown), {
      ok: false,
      reason: 'not_found',
    });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(1)} "${old.id}" Modification failed. UserID="tarou" |`,
        `${ts(1)} "${unknown}" Modification failed. |`,
      ],
      repository: [
        `unknown - unknown ${ts(1)} - "${TAROU_DN}" Session modification failed. (Invalid session state) SessionID="${old.id}" |`,
        `unknown - unknown ${ts(1)} - "unknown" Session modification failed. (Invalid session state) SessionID="${unknown}" |`,
      ],
    });
    assert.equal((await r.store.get(old.id))?.state, 'active');
  });

  void it('cancel: Deletion(forced-sign-on) succeeded., Revocation succeeded.; the old session stays', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const { old, pending } = await conflict(r);
    r.at(3);
    const res = await r.manager.cancelForcedSignOn(pending.id, {
      client: CLIENT2,
      authServer: AUTH,
    });
    assert.deepEqual(res, { ok: true, session: pending });
    const again = await r.manager.cancelForcedSignOn(pending.id, {
      client: CLIENT2,
      authServer: AUTH,
    });
    assert.deepEqual(again, { ok: false, reason: 'not_found' });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(3)} "${pending.id}" Deletion(forced-sign-on) succeeded. UserID="tarou" |`,
        `${ts(3)} "${pending.id}" Deletion(forced-sign-on) failed. |`,
      ],
      repository: [
        `${AUTH} - ${CLIENT2} ${ts(3)} - "${TAROU_DN}" Revocation succeeded. SessionID="${pending.id}" |`,
        `${AUTH} - ${CLIENT2} ${ts(3)} - "unknown" Revocation failed. (Invalid session state) SessionID="${pending.id}" |`,
      ],
    });
    assert.equal((await r.manager.validate(old.id, 'tarou', CLIENT)).ok, true);
    // Cancelling an active session is refused: only pending ones are cancelled.
    assert.deepEqual(await r.manager.cancelForcedSignOn(old.id), {
      ok: false,
      reason: 'not_found',
    });
    assert.equal((await r.store.get(old.id))?.state, 'active');
  });

  void it('two parallel confirmations of one pending session: one wins', async () => {
    for (const store of [new MemorySessionStore(), sqliteStore()]) {
      const r = rig({ policy: { forcedSignOn: true }, store });
      const { old, pending } = await conflict(r);
      const results = await Promise.all([
        r.manager.confirmForcedSignOn(pending.id),
        r.manager.confirmForcedSignOn(pending.id),
      ]);
      assert.equal(results.filter((x) => x.ok).length, 1);
      assert.deepEqual(
        results.find((x) => !x.ok),
        { ok: false, reason: 'not_found' },
      );
      const { session } = r.take();
      assert.deepEqual(session.sort(), [
        `${ts(1)} "${pending.id}" Modification failed. UserID="tarou" |`,
        `${ts(1)} "${pending.id}" Modification succeeded. UserID="tarou" |`,
      ]);
      assert.deepEqual(
        (await r.store.byUid('tarou')).map((s) => [s.id, s.state]),
        [[pending.id, 'active']],
      );
      assert.equal(await r.store.get(old.id), undefined);
    }
  });

  void it('a confirmation racing a cancellation: exactly one of them happens', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const { pending } = await conflict(r);
    const [c, x] = await Promise.all([
      r.manager.confirmForcedSignOn(pending.id),
      r.manager.cancelForcedSignOn(pending.id),
    ]);
    assert.equal(Number(c.ok) + Number(x.ok), 1);
    const left = await r.store.byUid('tarou');
    assert.equal(left.length, 1);
  });
});

void describe('SessionManager: validation', () => {
  void it('ok: Session validation succeeded., and the idle clock restarts', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 30 } });
    const s = await signedOn(r);
    r.take();
    r.at(20);
    const v = await r.manager.validate(s.id, 'tarou', CLIENT, AUTH);
    assert.deepEqual(v, {
      ok: true,
      session: { ...s, lastUsedAt: new Date(NOW.getTime() + 20 * 60_000) },
    });
    r.at(40);
    assert.equal((await r.manager.validate(s.id, 'tarou', CLIENT)).ok, true);
    assert.deepEqual(r.take(), {
      session: [],
      repository: [
        `${AUTH} - ${CLIENT} ${ts(20)} - "${TAROU_DN}" Session validation succeeded. SessionID="${s.id}" |`,
        `unknown - ${CLIENT} ${ts(40)} - "${TAROU_DN}" Session validation succeeded. SessionID="${s.id}" |`,
      ],
    });
  });

  void it('idle timeout: Deletion(idle-timeout), then the session is not found', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 30 } });
    const s = await signedOn(r);
    r.take();
    r.at(30);
    assert.deepEqual(await r.manager.validate(s.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'idle_timeout',
    });
    assert.deepEqual(await r.manager.validate(s.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'not_found',
    });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(30)} "${s.id}" Deletion(idle-timeout) succeeded. (Idle timeout) UserID="tarou" |`,
      ],
      repository: [
        `unknown - ${CLIENT} ${ts(30)} - "${TAROU_DN}" Session validation failed. (Idle timeout) SessionID="${s.id}" |`,
        `unknown - ${CLIENT} ${ts(30)} - "tarou" Session validation failed. (Invalid session state) SessionID="${s.id}" |`,
      ],
    });
  });

  void it('maximum lifetime: Deletion(expired) (Session expired), however busy the session', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 30, maxLifetimeMinutes: 480 } });
    const s = await signedOn(r);
    for (let m = 20; m < 480; m += 20) {
      r.at(m);
      assert.equal((await r.manager.validate(s.id, 'tarou', CLIENT)).ok, true, `${m}`);
    }
    r.take();
    r.at(480);
    assert.deepEqual(await r.manager.validate(s.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'expired',
    });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(480)} "${s.id}" Deletion(expired) succeeded. (Session expired) UserID="tarou" |`,
      ],
      repository: [
        `unknown - ${CLIENT} ${ts(480)} - "${TAROU_DN}" Session validation failed. (Session expired) SessionID="${s.id}" |`,
      ],
    });
  });

  void it('re-authentication interval: Deletion(expired) (Re-authentication required)', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 0 } });
    const s = await signedOn(r, tarou({ ssoCredentialTTL: 60 }));
    r.take();
    r.at(59);
    assert.equal((await r.manager.validate(s.id, 'tarou', CLIENT)).ok, true);
    r.at(60);
    assert.deepEqual(await r.manager.validate(s.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'reauth_required',
    });
    assert.deepEqual(r.take(), {
      session: [
        `${ts(60)} "${s.id}" Deletion(expired) succeeded. (Re-authentication required) UserID="tarou" |`,
      ],
      repository: [
        `unknown - ${CLIENT} ${ts(59)} - "${TAROU_DN}" Session validation succeeded. SessionID="${s.id}" |`,
        `unknown - ${CLIENT} ${ts(60)} - "${TAROU_DN}" Session validation failed. (Session expired) SessionID="${s.id}" |`,
      ],
    });
  });

  void it('another user: other_user, nothing deleted or touched', async () => {
    const r = rig();
    const s = await signedOn(r);
    r.take();
    r.at(5);
    assert.deepEqual(await r.manager.validate(s.id, 'jiro', CLIENT2), {
      ok: false,
      reason: 'other_user',
    });
    assert.deepEqual(r.take(), {
      session: [],
      repository: [
        `unknown - ${CLIENT2} ${ts(5)} - "jiro" Session validation failed. (Invalid request) SessionID="${s.id}" |`,
      ],
    });
    assert.deepEqual(await r.store.get(s.id), s);
  });

  void it('an unknown identifier: not_found (Invalid session state)', async () => {
    const r = rig();
    const id = newSessionId();
    assert.deepEqual(await r.manager.validate(id, 'tarou', CLIENT), {
      ok: false,
      reason: 'not_found',
    });
    assert.deepEqual(r.take(), {
      session: [],
      repository: [
        `unknown - ${CLIENT} ${ts()} - "tarou" Session validation failed. (Invalid session state) SessionID="${id}" |`,
      ],
    });
  });

  void it('50 parallel validations of a timed-out session delete it once and log it once', async () => {
    for (const store of [new MemorySessionStore(), sqliteStore()]) {
      const r = rig({ policy: { idleTimeoutMinutes: 30 }, store });
      const s = await signedOn(r);
      r.take();
      r.at(31);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => r.manager.validate(s.id, 'tarou', CLIENT)),
      );
      assert.ok(
        results.every((x) => !x.ok && (x.reason === 'idle_timeout' || x.reason === 'not_found')),
      );
      assert.ok(results.some((x) => !x.ok && x.reason === 'idle_timeout'));
      const { session, repository } = r.take();
      assert.deepEqual(session, [
        `${ts(31)} "${s.id}" Deletion(idle-timeout) succeeded. (Idle timeout) UserID="tarou" |`,
      ]);
      assert.equal(repository.length, 50);
      assert.ok(repository.every((l) => l.includes('Session validation failed.')));
      assert.equal(await r.store.get(s.id), undefined);
    }
  });
});

void describe('SessionManager: sign-off and forced sign-off', () => {
  void it('sign-off: Deletion(sign-off) succeeded., Revocation succeeded.; twice fails', async () => {
    const r = rig();
    const s = await signedOn(r);
    r.take();
    r.at(7);
    assert.deepEqual(await r.manager.signOff(s.id, { client: CLIENT, authServer: AUTH }), s);
    assert.equal(await r.manager.signOff(s.id, { client: CLIENT, authServer: AUTH }), undefined);
    assert.deepEqual(r.take(), {
      session: [
        `${ts(7)} "${s.id}" Deletion(sign-off) succeeded. UserID="tarou" |`,
        `${ts(7)} "${s.id}" Deletion(sign-off) failed. |`,
      ],
      repository: [
        `${AUTH} - ${CLIENT} ${ts(7)} - "${TAROU_DN}" Revocation succeeded. SessionID="${s.id}" |`,
        `${AUTH} - ${CLIENT} ${ts(7)} - "unknown" Revocation failed. (Invalid session state) SessionID="${s.id}" |`,
      ],
    });
    assert.deepEqual(await r.manager.validate(s.id, 'tarou', CLIENT), {
      ok: false,
      reason: 'not_found',
    });
  });

  void it('forced sign-off by session ID', async () => {
    const r = rig();
    const s = await signedOn(r);
    const j = await signedOn(r, newSsoUser('uid=jiro,o=x', 'jiro'));
    r.take();
    r.at(8);
    assert.deepEqual(await r.manager.forcedSignOff({ sessionId: s.id }), [s]);
    assert.deepEqual(await r.manager.forcedSignOff({ sessionId: s.id }), []);
    assert.deepEqual(r.take(), {
      session: [
        `${ts(8)} "${s.id}" Deletion(forced-sign-off) succeeded. UserID="tarou" |`,
        `${ts(8)} "${s.id}" Deletion(forced-sign-off) failed. |`,
      ],
      repository: [],
    });
    assert.deepEqual(await r.store.get(j.id), j);
  });

  void it('forced sign-off by user ID: every session of the user, one line each', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    const s = await signedOn(r);
    r.at(1);
    const c = await r.manager.signOn(tarou(), CLIENT2, AUTH);
    assert.ok(c.kind === 'conflict');
    const j = await signedOn(r, newSsoUser('uid=jiro,o=x', 'jiro'));
    r.take();
    r.at(9);
    assert.deepEqual(await r.manager.forcedSignOff({ uid: 'tarou' }), [s, c.pending]);
    assert.deepEqual(await r.manager.forcedSignOff({ uid: 'tarou' }), []);
    assert.deepEqual(r.take(), {
      session: [
        `${ts(9)} "${s.id}" Deletion(forced-sign-off) succeeded. UserID="tarou" |`,
        `${ts(9)} "${c.pending.id}" Deletion(forced-sign-off) succeeded. UserID="tarou" |`,
        `${ts(9)} "unknown" Deletion(forced-sign-off) failed. UserID="tarou" |`,
      ],
      repository: [],
    });
    assert.deepEqual(await r.store.get(j.id), j);
  });

  void it('sweep deletes every session that can no longer be used, each logged once', async () => {
    const r = rig({ policy: { idleTimeoutMinutes: 30, forcedSignOn: true } });
    const s = await signedOn(r);
    r.at(10);
    const c = await r.manager.signOn(tarou(), CLIENT2, AUTH);
    assert.ok(c.kind === 'conflict');
    const j = await signedOn(r, newSsoUser('uid=jiro,o=x', 'jiro'));
    r.take();
    r.at(30);
    assert.equal(await r.manager.sweep(), 2);
    assert.equal(await r.manager.sweep(), 0);
    assert.deepEqual(r.take().session, [
      `${ts(30)} "${s.id}" Deletion(idle-timeout) succeeded. (Idle timeout) UserID="tarou" |`,
      `${ts(30)} "${c.pending.id}" Deletion(expired) succeeded. (Session expired) UserID="tarou" |`,
    ]);
    assert.deepEqual(await r.store.get(j.id), j);
  });
});

function sqliteStore(dir?: string): SqliteSessionStore {
  const d = dir ?? mkdtempSync(path.join(os.tmpdir(), 'sekisho-session-manager-'));
  if (dir === undefined) dirs.push(d);
  const db = openDatabase(d);
  after(() => {
    db.close();
  });
  return new SqliteSessionStore(db);
}

void describe('SessionManager: restart', () => {
  void it('a reopened SQLite file keeps every live session', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-session-restart-'));
    dirs.push(dir);
    const db1 = openDatabase(dir);
    const r1 = rig({ policy: { forcedSignOn: true }, store: new SqliteSessionStore(db1) });
    const s = await signedOn(r1);
    const j = await signedOn(r1, newSsoUser('uid=jiro,o=x', 'jiro'));
    const c = await r1.manager.signOn(tarou(), CLIENT2, AUTH);
    assert.ok(c.kind === 'conflict');
    db1.close();

    const db2 = openDatabase(dir);
    try {
      const r2 = rig({ policy: { forcedSignOn: true }, store: new SqliteSessionStore(db2) });
      r2.at(5);
      assert.equal((await r2.manager.validate(j.id, 'jiro', CLIENT)).ok, true);
      const res = await r2.manager.confirmForcedSignOn(c.pending.id);
      assert.ok(res.ok);
      assert.deepEqual(res.replaced, [s]);
      assert.equal((await r2.manager.validate(c.pending.id, 'tarou', CLIENT2)).ok, true);
    } finally {
      db2.close();
    }
  });
});

void describe('SessionManager: hostile session identifiers', () => {
  const good = newSessionId();
  const hostile = [
    '',
    'x',
    good.slice(1),
    good + 'A',
    good.slice(0, 42) + '=',
    good.slice(0, 41) + '/' + good.slice(42),
    good.slice(0, 42) + 'B',
    `${good.slice(0, 40)}"\n|`,
    `${good.slice(0, 42)}\u0000`,
    'A'.repeat(100_000),
    "' OR 1=1 --                                 ",
  ];

  void it('are not found, logged as unknown, and never reach the store', async () => {
    const r = rig({ policy: { forcedSignOn: true } });
    for (const id of hostile) {
      assert.deepEqual(await r.manager.validate(id, 'tarou', CLIENT), {
        ok: false,
        reason: 'not_found',
      });
      assert.deepEqual(await r.manager.confirmForcedSignOn(id), { ok: false, reason: 'not_found' });
      assert.deepEqual(await r.manager.cancelForcedSignOn(id), { ok: false, reason: 'not_found' });
      assert.equal(await r.manager.signOff(id), undefined);
      assert.deepEqual(await r.manager.forcedSignOff({ sessionId: id }), []);
    }
    assert.equal(r.store.calls, 0);
    const { session, repository } = r.take();
    assert.equal(session.length, hostile.length * 4);
    assert.equal(repository.length, hostile.length * 4);
    for (const l of [...session, ...repository]) assert.match(l, /"unknown"|SessionID="unknown"/);
    assert.equal(
      repository[0],
      `unknown - ${CLIENT} ${ts()} - "tarou" Session validation failed. (Invalid session state) SessionID="unknown" |`,
    );
  });
});
