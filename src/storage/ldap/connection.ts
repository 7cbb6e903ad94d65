/**
 * A small pool of ldapts clients bound as Sekisho's service account, shared by the LDAP
 * repositories of one process (one pool = one node's connections).
 *
 * Transport security: `ldaps://` (TLS from the first byte) or `ldap://` with StartTLS; in both
 * cases TLS 1.2 or later, the server certificate checked against `ca` (or the system's CAs
 * when none is given) and the host name checked — `rejectUnauthorized` is never off. Plain LDAP
 * without StartTLS sends the service account's password and every user's password hash (in
 * Active Directory mode, every password checked by {@link LdapPool.bindAs}) in clear: it is refused unless the URL names a loopback address (127.0.0.0/8, ::1, localhost)
 * AND `allowPlaintext` is set — for a directory on the same machine, where the traffic never
 * leaves the host; anywhere else a passive observer would learn the hashes.
 *
 * Failures: each client is checked before use (still connected and bound); a client whose
 * operation failed below the LDAP result level (socket closed, timeout, malformed answer) is
 * destroyed, and the next use makes a new connection — so when the directory comes back, the
 * repositories recover by themselves. Such failures reject with
 * {@link SsoRepositoryUnavailableError} (`reason` connect, bind, timeout or protocol); an LDAP
 * result code (no such object, constraint violation, …) is passed on as ldapts's
 * `ResultCodeError` for the repository to interpret, the client staying in the pool.
 */
import net from 'node:net';
import tls from 'node:tls';
import {
  Client,
  ConfidentialityRequiredError,
  InappropriateAuthError,
  InvalidCredentialsError,
  ResultCodeError,
  TimeLimitExceededError,
} from 'ldapts';
import { SsoError, SsoRepositoryUnavailableError } from '../../sso/core/errors.ts';

/** Default number of connections. */
export const DEFAULT_POOL_SIZE = 4;
/** Default connect and operation timeout, milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000;

export interface LdapConnectionOptions {
  /** `ldaps://HOST[:PORT]` or `ldap://HOST[:PORT]`; nothing after the port. */
  readonly url: string;
  /** The service account's DN. */
  readonly bindDn: string;
  /** Its password (read from a file by the caller; never logged). */
  readonly bindPassword: string;
  /** PEM CA certificates the server certificate must chain to; undefined = the system's. */
  readonly ca?: string | undefined;
  /** Upgrade `ldap://` with StartTLS (RFC 4513 §3). Ignored for `ldaps://`. */
  readonly startTls?: boolean;
  /** Permit plain `ldap://` without StartTLS, on a loopback address only. Default false. */
  readonly allowPlaintext?: boolean;
  /** Connections kept, 1–64; default {@link DEFAULT_POOL_SIZE}. */
  readonly poolSize?: number;
  /**
   * Milliseconds for connecting (TCP and TLS), for each operation, and for waiting for a free
   * connection; default {@link DEFAULT_TIMEOUT_MS}.
   */
  readonly timeoutMs?: number;
  /** TLS server name when it differs from the URL's host (certificate check). */
  readonly servername?: string;
}

/** Whether `host` (from a URL) is a loopback address or `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return net.isIPv4(h) && h.startsWith('127.');
}

/** The URL's parts, or an Error (a configuration mistake, not a repository failure). */
function parseUrl(url: string): { secure: boolean; host: string; port: number } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`LDAP URL is malformed: ${JSON.stringify(url)}`);
  }
  if (u.protocol !== 'ldap:' && u.protocol !== 'ldaps:') {
    throw new Error(`LDAP URL must be ldap:// or ldaps://: ${JSON.stringify(url)}`);
  }
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') {
    throw new Error(`LDAP URL must be scheme://host[:port] only: ${JSON.stringify(url)}`);
  }
  if (u.username !== '' || u.password !== '') {
    throw new Error('LDAP URL must not hold credentials (use bind-dn and bind-password-file)');
  }
  const secure = u.protocol === 'ldaps:';
  return {
    secure,
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port === '' ? (secure ? 636 : 389) : Number(u.port),
  };
}

const SOCKET_CODES_TIMEOUT = new Set(['ETIMEDOUT']);

/** Classifies an error below the LDAP result level. */
function transportReason(e: unknown, tcpConnected: boolean): 'connect' | 'timeout' | 'protocol' {
  const message = e instanceof Error ? e.message : String(e);
  const code = e instanceof Error && 'code' in e ? String(e.code) : '';
  if (/Operation timed out/.test(message)) return 'timeout';
  if (message === 'Connection timeout') return tcpConnected ? 'timeout' : 'connect';
  if (SOCKET_CODES_TIMEOUT.has(code)) return 'connect';
  if (/^(Socket error|Connection closed before)/.test(message)) return 'connect';
  if (code.startsWith('E') || code.startsWith('ERR_TLS') || /certificate|TLS|SSL/i.test(message)) {
    return 'connect';
  }
  return 'protocol';
}

/** An operation's LDAP result that means the repository, not the request, is at fault. */
export function isServiceFailure(e: ResultCodeError): boolean {
  // operationsError, protocolError, timeLimitExceeded, adminLimitExceeded,
  // unavailableCriticalExtension, confidentialityRequired, strongerAuthRequired,
  // inappropriateAuthentication, invalidCredentials, insufficientAccessRights, busy,
  // unavailable, unwillingToPerform, loopDetect, other.
  return [1, 2, 3, 11, 12, 13, 8, 48, 49, 50, 51, 52, 53, 54, 80].includes(e.code);
}

/** The {@link SsoRepositoryUnavailableError} for an LDAP result that is a service failure. */
export function serviceFailure(e: ResultCodeError, what: string): SsoRepositoryUnavailableError {
  const reason =
    e instanceof TimeLimitExceededError
      ? 'timeout'
      : e instanceof InvalidCredentialsError || e instanceof InappropriateAuthError
        ? 'bind'
        : 'protocol';
  return new SsoRepositoryUnavailableError(
    reason,
    `${what}: the directory answered ${e.code} (${e.message})`,
    { cause: e },
  );
}

interface PooledClient {
  readonly client: Client;
}

/** The directory's answer to {@link LdapPool.bindAs}. */
export type UserBindResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** 49 invalidCredentials or 48 inappropriateAuthentication. */
      readonly code: number;
      /** The result's diagnostic message (AD: `80090308: LdapErr: …, data 52e, v4563`). */
      readonly diagnostic: string;
    };

/** The server's diagnostic message of a result error (ldapts appends ` Code: 0x…`). */
function diagnosticOf(e: ResultCodeError): string {
  return e.message.replace(/ Code: 0x[0-9a-f]+$/, '');
}

export class LdapPool {
  readonly #o: Required<Omit<LdapConnectionOptions, 'ca' | 'servername'>> & {
    ca: string | undefined;
    servername: string | undefined;
  };
  readonly #target: { secure: boolean; host: string; port: number };
  readonly #idle: PooledClient[] = [];
  readonly #waiting: ((c: PooledClient | undefined) => void)[] = [];
  #size = 0;
  #closed = false;
  /** User binds running ({@link LdapPool.bindAs}), and those waiting for a slot. */
  #binds = 0;
  readonly #bindWaiting: (() => void)[] = [];

  /** Validates the options (throws a plain Error naming the problem); connects lazily. */
  constructor(options: LdapConnectionOptions) {
    const target = parseUrl(options.url);
    const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 64) {
      throw new Error(`LDAP pool size must be 1–64: ${poolSize}`);
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
      throw new Error(`LDAP timeout must be 1–600000 ms: ${timeoutMs}`);
    }
    const startTls = options.startTls ?? false;
    const allowPlaintext = options.allowPlaintext ?? false;
    if (!target.secure && !startTls) {
      if (!allowPlaintext || !isLoopbackHost(target.host)) {
        throw new Error(
          `LDAP without TLS refused for ${options.url}: use ldaps://, or starttls; plain ldap:// ` +
            'is allowed only to a loopback address with allow-plaintext',
        );
      }
    }
    this.#target = target;
    this.#o = {
      url: options.url,
      bindDn: options.bindDn,
      bindPassword: options.bindPassword,
      ca: options.ca,
      startTls: !target.secure && startTls,
      allowPlaintext,
      poolSize,
      timeoutMs,
      servername: options.servername,
    };
  }

  #isClosed(): boolean {
    return this.#closed;
  }

  /** The configured operation timeout, milliseconds. */
  get timeoutMs(): number {
    return this.#o.timeoutMs;
  }

  #tlsOptions(): tls.ConnectionOptions {
    const servername = this.#o.servername ?? this.#target.host;
    return {
      ...(this.#o.ca === undefined ? {} : { ca: this.#o.ca }),
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      // SNI takes a host name, never an IP address; the certificate check uses `host`.
      ...(net.isIP(servername) === 0 ? { servername } : {}),
      host: servername,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(servername, cert),
    };
  }

  /** A new connected and bound client, or {@link SsoRepositoryUnavailableError}. */
  async #open(): Promise<PooledClient> {
    const o = this.#o;
    const { client, state } = await this.#connect();
    try {
      await client.bind(o.bindDn, o.bindPassword);
    } catch (e) {
      void destroy(client);
      if (
        e instanceof InvalidCredentialsError ||
        e instanceof InappropriateAuthError ||
        e instanceof ConfidentialityRequiredError
      ) {
        throw new SsoRepositoryUnavailableError(
          'bind',
          `the directory at ${o.url} refused the bind of ${o.bindDn} (${e.code})`,
          { cause: e },
        );
      }
      if (e instanceof ResultCodeError) throw serviceFailure(e, `bind to ${o.url}`);
      throw this.#transportError(e, state.tcpConnected, 'binding');
    }
    return { client };
  }

  /**
   * A new client, connected (and through StartTLS when configured) but not bound, with the
   * transport settings of the pool; {@link SsoRepositoryUnavailableError} when that fails.
   */
  async #connect(): Promise<{ client: Client; state: { tcpConnected: boolean } }> {
    const o = this.#o;
    const state = { tcpConnected: false };
    const track = <S extends net.Socket>(socket: S): S => {
      socket.once('connect', () => {
        state.tcpConnected = true;
      });
      return socket;
    };
    const client = new Client({
      url: o.url,
      timeout: o.timeoutMs,
      connectTimeout: o.timeoutMs,
      strictDN: false,
      ...(this.#target.secure ? { tlsOptions: this.#tlsOptions() } : {}),
      createConnection: ((port: number, host: string) =>
        track(net.connect(port, host))) as typeof net.connect,
      createSecureConnection: ((...args: Parameters<typeof tls.connect>) =>
        track(tls.connect(...args))) as typeof tls.connect,
    });
    try {
      if (o.startTls) await client.startTLS(this.#tlsOptions());
    } catch (e) {
      void destroy(client);
      if (e instanceof ResultCodeError) {
        throw new SsoRepositoryUnavailableError(
          'protocol',
          `StartTLS refused by ${o.url}: ${e.message}`,
          { cause: e },
        );
      }
      throw this.#transportError(e, state.tcpConnected, 'connecting');
    }
    return { client, state };
  }

  /**
   * An LDAP simple bind as `dn` with `password` (RFC 4511 §4.2) on a connection of its own —
   * same URL, TLS (LDAPS or StartTLS), certificate check and timeouts as the pool, never one
   * of the pool's service connections, which stay bound as the service account — closed right
   * after. At most `poolSize` such binds run at once; the others wait up to `timeoutMs`.
   *
   * Resolves `{ ok: true }` when the directory accepted the credentials, or the refusal:
   * `invalidCredentials` (49) or `inappropriateAuthentication` (48, an entry with no password)
   * with the directory's diagnostic message (AD puts its sub-code there: `data 52e`). Any other
   * result, and every failure below the LDAP level, rejects with
   * {@link SsoRepositoryUnavailableError}: the directory, not the password, is at fault.
   *
   * The caller must refuse an empty password (or DN) first: a simple bind with a DN and no
   * password is an unauthenticated bind (RFC 4513 §5.1.2), which a directory may accept as
   * anonymous. This method refuses them too (RangeError), and never logs the password.
   */
  async bindAs(dn: string, password: string): Promise<UserBindResult> {
    if (dn === '' || password === '') {
      throw new RangeError('bindAs: a DN and a password are required (no unauthenticated bind)');
    }
    await this.#bindSlot();
    try {
      return await this.#bindAs(dn, password);
    } finally {
      this.#bindSlotFree();
    }
  }

  async #bindAs(dn: string, password: string): Promise<UserBindResult> {
    if (this.#closed) {
      throw new SsoRepositoryUnavailableError('connect', 'the LDAP connection pool is closed');
    }
    const { client, state } = await this.#connect();
    try {
      await client.bind(dn, password);
      return { ok: true };
    } catch (e) {
      if (e instanceof InvalidCredentialsError || e instanceof InappropriateAuthError) {
        return { ok: false, code: e.code, diagnostic: diagnosticOf(e) };
      }
      if (e instanceof ResultCodeError) {
        throw new SsoRepositoryUnavailableError(
          e instanceof TimeLimitExceededError ? 'timeout' : 'protocol',
          `bind as a user at ${this.#o.url}: the directory answered ${e.code} (${diagnosticOf(e)})`,
          { cause: e },
        );
      }
      throw this.#transportError(e, state.tcpConnected, 'binding as a user at');
    } finally {
      await destroy(client);
    }
  }

  /** Waits for one of the `poolSize` user-bind slots (up to `timeoutMs`). */
  async #bindSlot(): Promise<void> {
    if (this.#binds < this.#o.poolSize) {
      this.#binds++;
      return;
    }
    const got = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.#bindWaiting.indexOf(give);
        if (i >= 0) this.#bindWaiting.splice(i, 1);
        resolve(false);
      }, this.#o.timeoutMs);
      const give = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      this.#bindWaiting.push(give);
    });
    if (!got) {
      throw new SsoRepositoryUnavailableError(
        'timeout',
        `no password check at ${this.#o.url} could start within ${this.#o.timeoutMs} ms`,
      );
    }
  }

  /** Hands the slot to the next waiter, or frees it. */
  #bindSlotFree(): void {
    const next = this.#bindWaiting.shift();
    if (next !== undefined) next();
    else this.#binds--;
  }

  #transportError(e: unknown, tcpConnected: boolean, what: string): SsoRepositoryUnavailableError {
    const reason = transportReason(e, tcpConnected);
    const detail = e instanceof Error ? e.message.split('\n')[0]! : String(e);
    return new SsoRepositoryUnavailableError(
      reason,
      `LDAP ${what} ${this.#o.url} failed (${reason}): ${detail}`,
      { cause: e },
    );
  }

  async #acquire(): Promise<PooledClient> {
    if (this.#closed) {
      throw new SsoRepositoryUnavailableError('connect', 'the LDAP connection pool is closed');
    }
    for (let c = this.#idle.pop(); c !== undefined; c = this.#idle.pop()) {
      if (c.client.isBound) return c;
      // Closed by the server (idle timeout, restart) or reconnected unbound: make a new one.
      this.#size--;
      await destroy(c.client);
    }
    if (this.#size < this.#o.poolSize) {
      this.#size++;
      try {
        return await this.#open();
      } catch (e) {
        this.#size--;
        this.#wakeOne();
        throw e;
      }
    }
    const waited = await new Promise<PooledClient | undefined>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.#waiting.indexOf(give);
        if (i >= 0) this.#waiting.splice(i, 1);
        resolve(undefined);
      }, this.#o.timeoutMs);
      const give = (c: PooledClient | undefined): void => {
        clearTimeout(timer);
        resolve(c);
      };
      this.#waiting.push(give);
    });
    if (waited === undefined) {
      // (Read again: close() may have run while this call waited.)
      if (this.#isClosed()) {
        throw new SsoRepositoryUnavailableError('connect', 'the LDAP connection pool is closed');
      }
      // Woken with a free slot (a connection was discarded), or timed out waiting.
      if (this.#size < this.#o.poolSize) return this.#acquire();
      throw new SsoRepositoryUnavailableError(
        'timeout',
        `no LDAP connection to ${this.#o.url} became free within ${this.#o.timeoutMs} ms`,
      );
    }
    return waited;
  }

  /** Hands a free slot (undefined) or client to the first waiter. */
  #wakeOne(c?: PooledClient): boolean {
    const next = this.#waiting.shift();
    if (next === undefined) return false;
    next(c);
    return true;
  }

  #release(c: PooledClient): void {
    if (this.#closed) {
      this.#size--;
      void destroy(c.client);
      return;
    }
    if (!this.#wakeOne(c)) this.#idle.push(c);
  }

  #discard(c: PooledClient): void {
    this.#size--;
    void destroy(c.client);
    this.#wakeOne();
  }

  /**
   * Runs `fn` with a bound client. LDAP result errors pass through (the client is kept);
   * anything else destroys the client and rejects with {@link SsoRepositoryUnavailableError}.
   */
  async run<T>(what: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const c = await this.#acquire();
    let result: T;
    try {
      result = await fn(c.client);
    } catch (e) {
      if (e instanceof ResultCodeError) {
        this.#release(c);
        if (isServiceFailure(e)) throw serviceFailure(e, what);
        throw e;
      }
      if (e instanceof SsoError && !(e instanceof SsoRepositoryUnavailableError)) {
        // The repository's own verdict (e.g. a value it refuses): the connection is fine.
        this.#release(c);
        throw e;
      }
      this.#discard(c);
      if (e instanceof SsoRepositoryUnavailableError) throw e;
      throw this.#transportError(e, true, what);
    }
    this.#release(c);
    return result;
  }

  /** Unbinds every idle client; clients in use are destroyed when they come back. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#wakeOne()) {
      /* every waiter gets undefined and sees the pool closed */
    }
    const idle = this.#idle.splice(0);
    this.#size -= idle.length;
    await Promise.all(idle.map((c) => destroy(c.client)));
  }
}

async function destroy(client: Client): Promise<void> {
  try {
    await client.unbind();
  } catch {
    /* already gone */
  }
}
