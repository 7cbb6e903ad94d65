/**
 * The business server's decision (shared/reference/sso-interstage.md §1 "Business server",
 * "Authorisation"; §2 business log; §3.3): given the credential a browser presented and the URL
 * it asked for, allow it (with the user's identity), send it to sign on, or refuse it — and write
 * one business-server access-log line for every decision.
 *
 * Protocol-free: src/http/forward-auth.ts turns nginx `auth_request` and Traefik ForwardAuth
 * requests into {@link VerifyRequest}s and decisions into status codes and headers.
 *
 * What it keeps, and for how long:
 * - The access-control information (sites, resources, roles and role sets) as an immutable
 *   snapshot, replaced only by {@link BusinessServer.updateAccessControl} — the console's
 *   [Update access control information] of the original (EG-207, EG-209): a failed update keeps
 *   the previous snapshot.
 * - Each user entry (by DN) for at most `sessionCacheMs`, so that a role change, a lock or a
 *   deletion applies within that bound; each positive session-management answer for as long.
 *   {@link BusinessServer.forgetUser}, {@link BusinessServer.forgetSession} and
 *   {@link BusinessServer.forgetAll} end that bound at once (this process's own changes, and on
 *   a cluster the other nodes' through Redis pub/sub, docs/cluster.md); an answer read before
 *   a forget and arriving after it is not kept. {@link BusinessServer.setCaching}(false) keeps
 *   nothing (a cluster node while it cannot hear the other nodes).
 */
import {
  authorize,
  dnKey,
  expandRoles,
  type SsoResource,
  type SsoSite,
} from '../core/access-control.ts';
import { withinValidity } from '../core/authenticate.ts';
import { PATH_REFUSALS } from '../core/canonical-url.ts';
import { matchResource, type ResourceMatch } from '../core/resource-match.ts';
import {
  openCredential,
  openWithKeyring,
  type CredentialClaims,
  type CredentialKeyring,
  type KeyringOpened,
  type OpenedCredential,
} from '../core/credential.ts';
import { hasSsoUserClass, userDn, type SsoUser } from '../core/user.ts';
import type { AccessControlRepository } from '../ports/access-control-repository.ts';
import type { UserRepository } from '../ports/user-repository.ts';
import type {
  BusinessRecord,
  RepositoryRecord,
  Supplementary,
  UserIdentification,
} from '../../logs/index.ts';

/** Opened credentials kept by {@link BusinessServer} (about 1 KB each). */
export const TOKEN_CACHE_SIZE = 10_000;

/** How many original URLs a business server keeps canonicalized. */
export const URL_CACHE_SIZE = 4096;
/** The longest URL (UTF-16 code units) the URL cache keeps. */
export const URL_CACHE_MAX_LENGTH = 1024;

/**
 * Session management as the business server sees it (implemented by the session-management
 * server): is this session, of this user, from this client, still signed on? Absent = session
 * management is off.
 */
export interface SessionValidator {
  validate(
    sessionId: string,
    uid: string,
    client: string | undefined,
  ): Promise<{ ok: true } | { ok: false; reason: string }>;
}

/** Default of {@link BusinessServerOptions.sessionCacheMs}, milliseconds. */
export const DEFAULT_SESSION_CACHE_MS = 2000;
/** Most entries each cache (users, sessions) holds; the oldest go first beyond it. */
export const MAX_CACHE_ENTRIES = 10_000;
/** Longest resource URL written in a log line, characters (longer ones are cut there). */
export const MAX_LOGGED_RESOURCE = 2048;

export interface BusinessServerOptions {
  readonly users: UserRepository;
  readonly accessControl: AccessControlRepository;
  /** The credential key now (derived from the service ID); rejects when it cannot be read. */
  readonly credentialKey: () => Promise<Uint8Array>;
  /**
   * The same key when it is known without waiting (the service ID is in memory), else
   * undefined: lets a check that needs nothing else from storage complete without a promise.
   * Must answer what {@link credentialKey} would.
   */
  readonly credentialKeyNow?: (() => Uint8Array | undefined) | undefined;
  /**
   * Re-reads the service ID when another process regenerated it (`ssoupsid`); resolves whether
   * it changed. Called when a credential does not open, so that this server follows a
   * regeneration without a restart.
   */
  readonly refreshKey?: (() => Promise<boolean>) | undefined;
  /** The credential key of the service ID that the last regeneration replaced, if known. */
  readonly previousKey?: (() => Uint8Array | undefined) | undefined;
  /** Session management; absent = off (no `SessionID` in the log, no session check). */
  readonly sessions?: SessionValidator | undefined;
  /**
   * How long a user entry and a positive session answer are reused, milliseconds (default
   * {@link DEFAULT_SESSION_CACHE_MS}; 0 = never). The documented bound: a sign-off, a forced
   * sign-off, a role change, a lock or a deleted user takes effect within this time.
   */
  readonly sessionCacheMs?: number;
  /**
   * What happens to a URL of a registered site that no protected resource covers: denied (403,
   * the default) or passed without authentication (`unprotected`), as the original's
   * unregistered paths were.
   */
  readonly denyUnknownPaths?: boolean;
  /** Writes one business-server access-log line. */
  readonly log: (record: BusinessRecord) => void;
  /** Writes one repository access-log line (`ResourceInfo …`). */
  readonly logRepository: (record: RepositoryRecord) => void;
  readonly now?: () => Date;
}

/** One authorization request. */
export interface VerifyRequest {
  /** The credential cookie's value; undefined when the browser sent none. */
  readonly token: string | undefined;
  /** The original absolute URL, e.g. `https://app.example.com/admin/x`. */
  readonly url: string;
  /** IP address of the browser. */
  readonly client: string | undefined;
  /** The web server's request ID, written as `RequestID`. */
  readonly requestId: string | undefined;
}

/**
 * The decision:
 * - `allow`: the user may see the URL; `roles` are the user's effective roles (role sets
 *   expanded), spelled as registered, sorted;
 * - `signon` (401): no credential, an expired or forged one, a dead session, a user that is
 *   gone, locked or outside its validity period — signing on again may help;
 * - `deny` (403): a refused path, an unregistered path (with `denyUnknownPaths`), no matching
 *   role, or user information that cannot be passed on;
 * - `unprotected`: `site` — the host and port are not a registered site (403); `path` — no
 *   resource covers the path and `denyUnknownPaths` is false (passes, without identity).
 */
export type Decision =
  | {
      readonly kind: 'allow';
      readonly uid: string;
      readonly dn: string;
      readonly roles: readonly string[];
    }
  | { readonly kind: 'signon' }
  | { readonly kind: 'deny' }
  | { readonly kind: 'unprotected'; readonly reason: 'site' | 'path' };

export type UpdateResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** The access-control information a decision reads: built once, never changed. */
export interface AccessControlSnapshot {
  readonly sites: readonly SsoSite[];
  /** By the site's `dnKey`. */
  readonly resources: ReadonlyMap<string, readonly SsoResource[]>;
  /** Lower-case role or role-set name → every effective name it stands for (lower case). */
  readonly expansion: ReadonlyMap<string, ReadonlySet<string>>;
  /** Lower-case name → the name as registered. */
  readonly spelling: ReadonlyMap<string, string>;
}

interface CachedUser {
  readonly user: SsoUser | undefined;
  readonly until: number;
}

interface CachedSession {
  readonly uid: string;
  readonly client: string | undefined;
  readonly until: number;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Adds to a bounded cache: expired entries go first, then the oldest. */
function remember<V extends { readonly until: number }>(
  cache: Map<string, V>,
  key: string,
  value: V,
  now: number,
): void {
  cache.delete(key);
  if (cache.size >= MAX_CACHE_ENTRIES) {
    for (const [k, v] of cache) if (v.until <= now) cache.delete(k);
    for (const k of cache.keys()) {
      if (cache.size < MAX_CACHE_ENTRIES) break;
      cache.delete(k);
    }
  }
  cache.set(key, value);
}

async function buildAccessControlSnapshot(
  repository: AccessControlRepository,
): Promise<AccessControlSnapshot> {
  const [sites, roles, roleSets] = await Promise.all([
    repository.sites(),
    repository.list('role'),
    repository.list('roleSet'),
  ]);
  const resources = new Map<string, readonly SsoResource[]>();
  for (const site of sites) {
    resources.set(dnKey(site.dn), Object.freeze([...(await repository.resourcesOf(site.dn))]));
  }
  const spelling = new Map<string, string>();
  for (const r of [...roles, ...roleSets]) spelling.set(r.cn.toLowerCase(), r.cn);
  const expansion = new Map<string, ReadonlySet<string>>();
  for (const name of spelling.keys()) expansion.set(name, expandRoles([name], roleSets, roles));
  return Object.freeze({
    sites: Object.freeze([...sites]),
    resources,
    expansion,
    spelling,
  });
}

/** A user's effective roles under one snapshot, and whether the identity can be sent on. */
interface UserRoles {
  readonly effective: ReadonlySet<string>;
  /** Their spellings, sorted: the roles header. */
  readonly roles: string[];
  /** No control character in the uid, the DN or a role name (else `BUSINESS_USER_INFO_INVALID`). */
  readonly printable: boolean;
  /** The entry has the `ssoUser` object class. */
  readonly ssoUser: boolean;
  /** {@link authorize} per resource, filled as resources are asked for. */
  readonly decisions: Map<SsoResource, boolean>;
}

/** What {@link BusinessServer} must fetch, for the credential it opened, before it can decide. */
interface Need {
  readonly need: 'session' | 'user';
  readonly claims: CredentialClaims;
}

/** What was fetched for a decision: the session's answer, the user entry (or its absence). */
interface Fetched {
  readonly session?: boolean;
  readonly user?: { readonly entry: SsoUser | undefined };
}
const NOTHING_FETCHED: Fetched = Object.freeze({});

/** The two results of a business-log line. */
const AUTHORIZATION = {
  succeeded: Object.freeze({ token: 'Authorization', outcome: 'succeeded' }),
  failed: Object.freeze({ token: 'Authorization', outcome: 'failed' }),
} as const;

const SIGNON: Decision = Object.freeze({ kind: 'signon' });
const DENY: Decision = Object.freeze({ kind: 'deny' });

export class BusinessServer {
  readonly #o: BusinessServerOptions;
  readonly #now: () => Date;
  readonly #cacheMs: number;
  readonly #denyUnknownPaths: boolean;
  #snapshot: AccessControlSnapshot | undefined;
  /** Sequence of the newest load started, and of the snapshot installed. */
  #loadsStarted = 0;
  #installed = 0;
  #firstLoad: Promise<UpdateResult> | undefined;
  readonly #users = new Map<string, CachedUser>();
  readonly #sessions = new Map<string, CachedSession>();
  /** +1 at every forget: an answer read under an older value is not cached. */
  #forgets = 0;
  #caching = true;

  constructor(options: BusinessServerOptions) {
    const cacheMs = options.sessionCacheMs ?? DEFAULT_SESSION_CACHE_MS;
    if (!Number.isSafeInteger(cacheMs) || cacheMs < 0) {
      throw new RangeError(`sessionCacheMs must be a non-negative integer, got ${cacheMs}`);
    }
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#cacheMs = cacheMs;
    this.#denyUnknownPaths = options.denyUnknownPaths ?? true;
  }

  /** Whether session management is on (the log lines carry `SessionID` and `Server`). */
  get sessionManagement(): boolean {
    return this.#o.sessions !== undefined;
  }

  /**
   * Reads the access-control entries and builds an immutable snapshot: the sites, each site's
   * resources, and every role and role-set name with the effective roles it stands for. Does
   * not install it; rejects with the repository's error.
   */
  async loadAccessControl(): Promise<AccessControlSnapshot> {
    return buildAccessControlSnapshot(this.#o.accessControl);
  }

  /**
   * [Update access control information]: loads a new snapshot and installs it, writing
   * `ResourceInfo succeeded.` to the repository log; on failure keeps the snapshot in use and
   * writes `ResourceInfo failed. (Abnormalities in access of SSO Repository)`. Of concurrent
   * updates, the one started last wins.
   * @param client the address of whoever asked for the update (undefined: the server itself).
   */
  async updateAccessControl(client: string | undefined): Promise<UpdateResult> {
    const seq = ++this.#loadsStarted;
    const line = (outcome: 'succeeded' | 'failed', supplementary?: Supplementary): void => {
      this.#o.logRepository({
        log: 'repository',
        time: this.#now(),
        result: { token: 'ResourceInfo', outcome },
        supplementary,
        authServer: undefined,
        client,
        user: undefined,
        sessionManagement: this.sessionManagement,
      });
    };
    try {
      const snapshot = await this.loadAccessControl();
      if (seq > this.#installed) {
        this.#snapshot = snapshot;
        this.#installed = seq;
      }
      line('succeeded');
      return { ok: true };
    } catch (error) {
      line('failed', 'ABNORMAL_REPOSITORY_ACCESS');
      return { ok: false, error };
    }
  }

  /** The snapshot in use (read through a call: an `await` may have installed one). */
  #installedSnapshot(): AccessControlSnapshot | undefined {
    return this.#snapshot;
  }

  /** The snapshot in use; the first call loads one (the business server's start). */
  async #current(): Promise<AccessControlSnapshot> {
    if (this.#snapshot !== undefined) return this.#snapshot;
    this.#firstLoad ??= this.updateAccessControl(undefined);
    const result = await this.#firstLoad;
    const loaded = this.#installedSnapshot();
    if (loaded !== undefined) return loaded;
    this.#firstLoad = undefined; // let the next request try again
    throw result.ok ? new Error('access-control information is not loaded') : result.error;
  }

  /** Drops the cached entry of a user (e.g. when this process locks or changes it). */
  forgetUser(dn: string): void {
    this.#forgets++;
    this.#users.delete(dn.toLowerCase());
  }

  /** Drops the cached answer for a session (e.g. when this process signs it off). */
  forgetSession(sessionId: string): void {
    this.#forgets++;
    this.#sessions.delete(sessionId);
  }

  /** Drops every cached user entry and session answer. */
  forgetAll(): void {
    this.#forgets++;
    this.#users.clear();
    this.#sessions.clear();
  }

  /**
   * Turns the user and session caches off (every request asks the stores, as with
   * `sessionCacheMs` 0) or back on; either way drops what they hold.
   */
  setCaching(on: boolean): void {
    this.#caching = on;
    this.forgetAll();
  }

  /** Whether an answer read when {@link #forgets} was `forgets` may be cached. */
  #mayCache(forgets: number): boolean {
    return this.#cacheMs > 0 && this.#caching && forgets === this.#forgets;
  }

  async #user(dn: string, now: number): Promise<SsoUser | undefined> {
    const key = dn.toLowerCase();
    const hit = this.#users.get(key);
    if (hit !== undefined && hit.until > now) return hit.user;
    const forgets = this.#forgets;
    let user: SsoUser | undefined;
    try {
      user = dn.includes('=') ? await this.#o.users.findByDn(userDn(dn)) : undefined;
    } catch (e) {
      this.#users.delete(key);
      throw e;
    }
    if (this.#mayCache(forgets)) {
      remember(this.#users, key, { user, until: now + this.#cacheMs }, now);
    }
    return user;
  }

  /** True when a cached positive answer covers the session, else undefined (ask). */
  #sessionCached(
    sessionId: string,
    uid: string,
    client: string | undefined,
    now: number,
  ): true | undefined {
    const hit = this.#sessions.get(sessionId);
    return hit !== undefined && hit.until > now && hit.uid === uid && hit.client === client
      ? true
      : undefined;
  }

  async #sessionAlive(
    sessionId: string,
    uid: string,
    client: string | undefined,
    now: number,
  ): Promise<boolean> {
    const sessions = this.#o.sessions;
    if (sessions === undefined) return true;
    if (this.#sessionCached(sessionId, uid, client, now) === true) return true;
    const forgets = this.#forgets;
    const answer = await sessions.validate(sessionId, uid, client);
    if (!answer.ok) {
      this.#sessions.delete(sessionId);
      return false;
    }
    if (this.#mayCache(forgets)) {
      remember(this.#sessions, sessionId, { uid, client, until: now + this.#cacheMs }, now);
    }
    return true;
  }

  /** The log's user field of a credential, once per opened credential (they are cached). */
  readonly #identities = new WeakMap<CredentialClaims, UserIdentification>();
  #identity(claims: CredentialClaims): UserIdentification {
    let u = this.#identities.get(claims);
    if (u === undefined) {
      u = { kind: 'uid', value: claims.uid };
      this.#identities.set(claims, u);
    }
    return u;
  }

  #line(
    req: Pick<VerifyRequest, 'client' | 'requestId'> & { readonly url: string | undefined },
    claims: CredentialClaims | undefined,
    outcome: 'succeeded' | 'failed',
    supplementary: Supplementary | undefined,
    time: Date = this.#now(),
  ): void {
    this.#o.log({
      log: 'business',
      time,
      result: AUTHORIZATION[outcome],
      supplementary,
      client: req.client,
      user: claims === undefined ? undefined : this.#identity(claims),
      resource: req.url?.slice(0, MAX_LOGGED_RESOURCE),
      requestId: req.requestId,
      sessionManagement: this.sessionManagement,
      sessionId: claims?.sessionId ?? undefined,
      server: undefined,
    });
  }

  /**
   * Writes `Authorization failed. (Invalid request)` for a request refused before any decision
   * (an untrusted proxy, missing or contradictory forwarded headers).
   */
  logInvalidRequest(req: {
    readonly client: string | undefined;
    readonly requestId: string | undefined;
    readonly url?: string | undefined;
  }): void {
    this.#line({ ...req, url: req.url }, undefined, 'failed', 'BUSINESS_INVALID_REQUEST');
  }

  /**
   * Opened credentials by token, for the key they were opened with: a browser presents the
   * same cookie on every request, and opening it (AES-GCM, JSON, checks) is the largest cost
   * of a check. Only successfully opened tokens are kept; the expiry is checked at every use;
   * a new key (ssoupsid) empties the cache. At most {@link TOKEN_CACHE_SIZE} entries, the
   * oldest dropped first.
   */
  readonly #tokens = new Map<string, CredentialClaims>();
  readonly #keyring: CredentialKeyring = {
    current: () => this.#o.credentialKey(),
    refresh: () => this.#o.refreshKey?.() ?? Promise.resolve(false),
    previous: () => this.#o.previousKey?.(),
  };
  #tokensKey: Uint8Array | undefined;

  readonly #openCached = (key: Uint8Array, token: string, now: Date): OpenedCredential =>
    this.#open(key, token, now);

  /** The key object last compared equal to {@link #tokensKey} (skips the comparison). */
  #tokensKeyObject: Uint8Array | undefined;

  #open(key: Uint8Array, token: string, now: Date): OpenedCredential {
    if (key !== this.#tokensKeyObject) {
      if (this.#tokensKey === undefined || !Buffer.from(this.#tokensKey).equals(key)) {
        this.#tokens.clear();
        this.#tokensKey = key.slice();
      }
      this.#tokensKeyObject = key;
    }
    const cached = this.#tokens.get(token);
    if (cached !== undefined) {
      if (cached.expiresAt === null || cached.expiresAt > now.getTime() / 1000) {
        return { ok: true, claims: cached };
      }
      this.#tokens.delete(token);
    }
    const opened = openCredential(key, token, now);
    if (opened.ok) {
      if (this.#tokens.size >= TOKEN_CACHE_SIZE) {
        const oldest = this.#tokens.keys().next();
        if (oldest.done !== true) this.#tokens.delete(oldest.value);
      }
      this.#tokens.set(token, opened.claims);
    }
    return opened;
  }

  /**
   * The site and resource of a URL under a snapshot, remembered for the {@link URL_CACHE_SIZE}
   * URLs seen last (emptied when full or when the snapshot changes; URLs longer than
   * {@link URL_CACHE_MAX_LENGTH} are not kept, so the keys take at most 4 MiB): canonicalizing
   * and matching are pure functions of the URL and the snapshot, asked again for every page a
   * browser loads.
   */
  readonly #targets = new Map<string, ResourceMatch>();
  #targetsOf: AccessControlSnapshot | undefined;
  #target(url: string, snapshot: AccessControlSnapshot): ResourceMatch {
    if (url.length > URL_CACHE_MAX_LENGTH) return this.#resolve(url, snapshot);
    if (snapshot !== this.#targetsOf) {
      this.#targets.clear();
      this.#targetsOf = snapshot;
    }
    let t = this.#targets.get(url);
    if (t === undefined) {
      t = this.#resolve(url, snapshot);
      if (this.#targets.size >= URL_CACHE_SIZE) this.#targets.clear();
      this.#targets.set(url, t);
    }
    return t;
  }

  /** The URL's site and resource by the rules `whocanaccess` explains (resource-match.ts). */
  #resolve(url: string, snapshot: AccessControlSnapshot): ResourceMatch {
    return matchResource(
      url,
      snapshot.sites,
      (site) => snapshot.resources.get(this.#siteKey(site)) ?? [],
    );
  }

  /** The key of a site's DN, computed once per site object of a snapshot (DN parsing is not cheap). */
  readonly #siteKeys = new WeakMap<SsoSite, string>();
  #siteKey(site: SsoSite): string {
    let k = this.#siteKeys.get(site);
    if (k === undefined) {
      k = dnKey(site.dn);
      this.#siteKeys.set(site, k);
    }
    return k;
  }

  /** A user's effective roles, computed once per user entry read and access-control snapshot. */
  readonly #roles = new WeakMap<SsoUser, UserRoles & { snapshot: AccessControlSnapshot }>();

  #rolesOf(user: SsoUser, snapshot: AccessControlSnapshot): UserRoles {
    const memo = this.#roles.get(user);
    if (memo?.snapshot === snapshot) return memo;
    const effective = new Set<string>();
    for (const name of user.ssoRoleName) {
      for (const r of snapshot.expansion.get(name.toLowerCase()) ?? []) effective.add(r);
    }
    const roles = [...effective].map((r) => snapshot.spelling.get(r) ?? r).sort();
    const printable = ![user.uid, user.dn, ...roles].some((v) => CONTROL.test(v));
    const computed = {
      snapshot,
      effective,
      roles,
      printable,
      ssoUser: hasSsoUserClass(user),
      decisions: new Map<SsoResource, boolean>(),
    };
    this.#roles.set(user, computed);
    return computed;
  }

  /** Writes the `failed` line of a refusal and returns its decision. */
  #fail(
    now: Date,
    req: VerifyRequest,
    claims: CredentialClaims | undefined,
    kind: 'signon' | 'deny',
    supplementary: Supplementary,
  ): Decision {
    this.#line(req, claims, 'failed', supplementary, now);
    return kind === 'signon' ? SIGNON : DENY;
  }

  /**
   * Decides one request and writes its business-log line. Order: the URL (refused spellings →
   * `deny`), the site (`unprotected`), the resource, the credential, the session, the user
   * entry (gone, locked, outside its validity period → `signon`), its identity (control
   * characters → `deny`), the roles. Rejects only on server-side failures (the credential key,
   * the repositories, session management), writing no line.
   */
  async verify(req: VerifyRequest): Promise<Decision> {
    return this.verifyNow(req) ?? this.#verifyFetching(req);
  }

  /**
   * {@link verify} without waiting, when everything the decision needs is in memory (the
   * access-control snapshot, the credential key, the opened credential, the session's and the
   * user's cached answers) — the common case of a browser's next request. Undefined, with
   * nothing written, when something must be fetched: then call {@link verify}.
   */
  verifyNow(req: VerifyRequest): Decision | undefined {
    const snapshot = this.#snapshot;
    if (snapshot === undefined) return undefined;
    const now = this.#now();
    let opened: KeyringOpened | undefined;
    if (req.token !== undefined && req.token !== '') {
      const key = this.#o.credentialKeyNow?.();
      if (key === undefined) return undefined;
      opened = this.#open(key, req.token, now);
      // A forged-looking credential may be of a service ID regenerated elsewhere: the keyring.
      if (!opened.ok && opened.reason === 'forged') return undefined;
    }
    const d = this.#decide(req, snapshot, opened, now, NOTHING_FETCHED);
    return 'need' in d ? undefined : d;
  }

  async #verifyFetching(req: VerifyRequest): Promise<Decision> {
    const snapshot = this.#snapshot ?? (await this.#current());
    const now = this.#now();
    const ms = now.getTime();
    const opened =
      req.token === undefined || req.token === ''
        ? undefined
        : await openWithKeyring(this.#keyring, req.token, now, this.#openCached);
    let fetched: Fetched = NOTHING_FETCHED;
    for (;;) {
      const d = this.#decide(req, snapshot, opened, now, fetched);
      if (!('need' in d)) return d;
      const c = d.claims;
      if (d.need === 'session') {
        const alive = await this.#sessionAlive(c.sessionId ?? '', c.uid, req.client, ms);
        fetched = { ...fetched, session: alive };
      } else {
        fetched = { ...fetched, user: { entry: await this.#user(c.dn, ms) } };
      }
    }
  }

  /**
   * The decision from what is at hand, writing its line; or what must be fetched first
   * ({@link Need}), having written nothing.
   */
  #decide(
    req: VerifyRequest,
    snapshot: AccessControlSnapshot,
    opened: KeyringOpened | undefined,
    now: Date,
    fetched: Fetched,
  ): Decision | Need {
    const ms = now.getTime();
    const claims = opened?.ok === true ? opened.claims : undefined;
    const target = this.#target(req.url, snapshot);
    if (target.kind === 'refused') {
      return this.#fail(
        now,
        req,
        claims,
        'deny',
        PATH_REFUSALS.has(target.reason) ? 'BUSINESS_PATH_INVALID' : 'BUSINESS_INVALID_REQUEST',
      );
    }
    if (target.kind === 'site_not_registered') {
      this.#line(req, claims, 'failed', 'BUSINESS_SITE_NOT_REGISTERED', now);
      return { kind: 'unprotected', reason: 'site' };
    }
    if (target.kind === 'not_covered') {
      if (this.#denyUnknownPaths)
        return this.#fail(now, req, claims, 'deny', 'BUSINESS_RESOURCE_NOT_REGISTERED');
      this.#line(req, claims, 'succeeded', 'BUSINESS_RESOURCE_NOT_PROTECTED', now);
      return { kind: 'unprotected', reason: 'path' };
    }
    const resource = target.resource;

    if (opened === undefined)
      return this.#fail(now, req, claims, 'signon', 'BUSINESS_CREDENTIAL_MISSING');
    if (!opened.ok) {
      return this.#fail(
        now,
        req,
        claims,
        'signon',
        opened.reason === 'expired'
          ? 'BUSINESS_CREDENTIAL_EXPIRED'
          : opened.reason === 'previous_service_id'
            ? 'BUSINESS_CREDENTIAL_PREVIOUS_SERVICE_ID'
            : 'BUSINESS_CREDENTIAL_INVALID',
      );
    }
    const c = opened.claims;
    if (this.#o.sessions !== undefined) {
      if (c.sessionId === null)
        return this.#fail(now, req, claims, 'signon', 'BUSINESS_SESSION_INVALID');
      const alive = fetched.session ?? this.#sessionCached(c.sessionId, c.uid, req.client, ms);
      if (alive === undefined) return { need: 'session', claims: c };
      if (!alive) return this.#fail(now, req, claims, 'signon', 'BUSINESS_SESSION_INVALID');
    }
    let user: SsoUser | undefined;
    if (fetched.user !== undefined) {
      user = fetched.user.entry;
    } else {
      const hit = this.#users.get(c.dn.toLowerCase());
      if (hit === undefined || hit.until <= ms) return { need: 'user', claims: c };
      user = hit.user;
    }
    if (user === undefined || user.uid !== c.uid || !this.#rolesOf(user, snapshot).ssoUser) {
      return this.#fail(now, req, claims, 'signon', 'BUSINESS_USER_NOT_FOUND');
    }
    if (user.ssoUserStatus === 'locked')
      return this.#fail(now, req, claims, 'signon', 'BUSINESS_USER_LOCKED');
    if (!withinValidity(user, now))
      return this.#fail(now, req, claims, 'signon', 'BUSINESS_OUT_OF_VALIDITY_PERIOD');

    const userRoles = this.#rolesOf(user, snapshot);
    if (!userRoles.printable)
      return this.#fail(now, req, claims, 'deny', 'BUSINESS_USER_INFO_INVALID');
    let allowed = userRoles.decisions.get(resource);
    if (allowed === undefined) {
      allowed = authorize(userRoles.effective, resource);
      userRoles.decisions.set(resource, allowed);
    }
    if (!allowed) return this.#fail(now, req, claims, 'deny', 'BUSINESS_ROLE_MISMATCH');
    this.#line(req, c, 'succeeded', undefined, now);
    return { kind: 'allow', uid: user.uid, dn: user.dn, roles: userRoles.roles };
  }
}
