/**
 * Console sessions: who is signed on to the console, kept in this process's memory, and the
 * sealed cookie that names one.
 *
 * The cookie `__Host-sekisho-console` (Secure, HttpOnly, SameSite=Strict, Path=/) carries the
 * session's random ID and user ID sealed with AES-256-GCM under a key made at process start,
 * in the layout of the SSO credential (src/sso/core/credential.ts): version byte, 12-byte
 * nonce, ciphertext, 16-byte tag, base64url, with its own additional data. The key is not
 * derived from the service ID on purpose: the console must keep working while the key servers
 * (and so the service ID) are unavailable — that is when an operator needs it. A restart
 * therefore signs every console user off.
 *
 * A session ends after {@link CONSOLE_IDLE_TIMEOUT_MS} without a request and
 * {@link CONSOLE_MAX_LIFETIME_MS} after sign-on, at sign-off, and when its user loses the
 * administrator role (checked on every request).
 *
 * CSRF: every state-changing request is a POST whose `csrf` field is
 * base64url(HMAC-SHA256(key, "console|" + session ID)) — bound to the session, unknown to
 * any other site. The sign-on form, before there is a session, uses the signed double-submit
 * cookie of src/sso/core/csrf.ts with a console-only key and cookie.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { issueCsrf, verifyCsrf, type CsrfResult } from '../../sso/core/csrf.ts';

/** Idle timeout of a console session: 15 minutes. */
export const CONSOLE_IDLE_TIMEOUT_MS = 15 * 60_000;
/** Longest life of a console session: 8 hours. */
export const CONSOLE_MAX_LIFETIME_MS = 8 * 3_600_000;
/** Most console sessions kept at once (the oldest is dropped beyond). */
export const MAX_CONSOLE_SESSIONS = 1000;

export const CONSOLE_COOKIE = '__Host-sekisho-console';
export const CONSOLE_CSRF_COOKIE = '__Host-sekisho-console-csrf';

const VERSION = 0x01;
const AAD = Buffer.from('sekisho-console-v1', 'utf8');
const MAX_COOKIE_CHARS = 512;

export interface Flash {
  readonly kind: 'ok' | 'error';
  readonly text: string;
}

export interface ConsoleSession {
  readonly id: string;
  readonly uid: string;
  readonly dn: string;
  readonly createdAt: number;
  lastSeenAt: number;
  /** The first administrator still has the one-time password: only the change page opens. */
  mustChange: boolean;
  /** A message for the next page shown (after a POST/redirect/GET). */
  flash: Flash | undefined;
}

export class ConsoleSessions {
  readonly #sealKey = randomBytes(32);
  readonly #csrfKey = randomBytes(32);
  readonly #signOnCsrfKey = randomBytes(32);
  readonly #sessions = new Map<string, ConsoleSession>();

  /** A new session for an administrator; returns it and its cookie value. */
  create(
    uid: string,
    dn: string,
    mustChange: boolean,
    now: number,
  ): { session: ConsoleSession; cookie: string } {
    this.#sweep(now);
    while (this.#sessions.size >= MAX_CONSOLE_SESSIONS) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      id,
      uid,
      dn,
      createdAt: now,
      lastSeenAt: now,
      mustChange,
      flash: undefined,
    };
    this.#sessions.set(id, session);
    return { session, cookie: this.#seal(JSON.stringify({ sid: id, uid })) };
  }

  /** The live session a cookie names (and records the use), or undefined. */
  open(cookie: string | undefined, now: number): ConsoleSession | undefined {
    if (cookie === undefined) return undefined;
    const plain = this.#unseal(cookie);
    if (plain === undefined) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(plain);
    } catch {
      return undefined;
    }
    if (typeof value !== 'object' || value === null) return undefined;
    const { sid, uid } = value as { sid?: unknown; uid?: unknown };
    if (typeof sid !== 'string' || typeof uid !== 'string') return undefined;
    const s = this.#sessions.get(sid);
    if (s === undefined || s.uid !== uid) return undefined;
    if (!this.#alive(s, now)) {
      this.#sessions.delete(sid);
      return undefined;
    }
    s.lastSeenAt = now;
    return s;
  }

  end(id: string): void {
    this.#sessions.delete(id);
  }

  /** The CSRF token of a session's forms. */
  csrfToken(s: ConsoleSession): string {
    return createHmac('sha256', this.#csrfKey).update(`console|${s.id}`).digest('base64url');
  }

  checkCsrf(s: ConsoleSession, token: string | undefined): boolean {
    if (token === undefined) return false;
    const expected = Buffer.from(this.csrfToken(s));
    const given = Buffer.from(token);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** The sign-on form's double-submit pair. */
  issueSignOnCsrf(now: Date): { cookie: string; token: string } {
    return issueCsrf(this.#signOnCsrfKey, now);
  }

  verifySignOnCsrf(cookie: string | undefined, token: string | undefined, now: Date): CsrfResult {
    return verifyCsrf(this.#signOnCsrfKey, cookie, token, now);
  }

  #alive(s: ConsoleSession, now: number): boolean {
    return (
      now - s.lastSeenAt < CONSOLE_IDLE_TIMEOUT_MS && now - s.createdAt < CONSOLE_MAX_LIFETIME_MS
    );
  }

  #sweep(now: number): void {
    for (const [id, s] of this.#sessions) if (!this.#alive(s, now)) this.#sessions.delete(id);
  }

  #seal(plain: string): string {
    const nonce = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#sealKey, nonce, { authTagLength: 16 });
    c.setAAD(AAD);
    return Buffer.concat([
      Uint8Array.of(VERSION),
      nonce,
      c.update(plain, 'utf8'),
      c.final(),
      c.getAuthTag(),
    ]).toString('base64url');
  }

  #unseal(token: string): string | undefined {
    if (token.length > MAX_COOKIE_CHARS || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
    const b = Buffer.from(token, 'base64url');
    if (b.length < 1 + 12 + 1 + 16 || b[0] !== VERSION) return undefined;
    try {
      const d = createDecipheriv('aes-256-gcm', this.#sealKey, b.subarray(1, 13), {
        authTagLength: 16,
      });
      d.setAAD(AAD);
      d.setAuthTag(b.subarray(b.length - 16));
      return Buffer.concat([d.update(b.subarray(13, b.length - 16)), d.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
