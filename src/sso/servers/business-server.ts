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
  findResource,
  type SsoResource,
  type SsoSite,
} from '../core/access-control.ts';
import { withinValidity } from '../core/authenticate.ts';
import { canonicalUrl, PATH_REFUSALS, type UrlRefusal } from '../core/canonical-url.ts';
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
import type { BusinessRecord, RepositoryRecord, Supplementary } from '../../logs/index.ts';

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

/** Where a URL leads under one snapshot (see {@link BusinessServer.verify}). */
type Target =
  | { readonly kind: 'refused'; readonly reason: UrlRefusal }
  | { readonly kind: 'no_site' }
  | { readonly kind: 'site'; readonly resource: SsoResource | undefined };

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

  async #sessionAlive(
    sessionId: string,
    uid: string,
    client: string | undefined,
    now: number,
  ): Promise<boolean> {
    const sessions = this.#o.sessions;
    if (sessions === undefined) return true;
    const hit = this.#sessions.get(sessionId);
    if (hit !== undefined && hit.until > now && hit.uid === uid && hit.client === client) {
      return true;
    }
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

  #line(
    req: Pick<VerifyRequest, 'client' | 'requestId'> & { readonly url: string | undefined },
    claims: CredentialClaims | undefined,
    outcome: 'succeeded' | 'failed',
    supplementary: Supplementary | undefined,
  ): void {
    this.#o.log({
      log: 'business',
      time: this.#now(),
      result: { token: 'Authorization', outcome },
      supplementary,
      client: req.client,
      user: claims === undefined ? undefined : { kind: 'uid', value: claims.uid },
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
  readonly #targets = new Map<string, Target>();
  #targetsOf: AccessControlSnapshot | undefined;
  #target(url: string, snapshot: AccessControlSnapshot): Target {
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

  #resolve(text: string, snapshot: AccessControlSnapshot): Target {
    const url = canonicalUrl(text);
    if (!url.ok) return { kind: 'refused', reason: url.reason };
    const site = snapshot.sites.find((s) => s.host === url.host && s.port === url.port);
    if (site === undefined) return { kind: 'no_site' };
    // `/admin` names the directory `/admin/` protects: match as if it ended with a slash (this
    // can only find a longer prefix, never lose one).
    const matched = url.path.endsWith('/') ? url.path : url.path + '/';
    return {
      kind: 'site',
      resource: findResource(snapshot.resources.get(this.#siteKey(site)) ?? [], matched),
    };
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
    req: VerifyRequest,
    claims: CredentialClaims | undefined,
    kind: 'signon' | 'deny',
    supplementary: Supplementary,
  ): Decision {
    this.#line(req, claims, 'failed', supplementary);
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
    const snapshot = this.#snapshot ?? (await this.#current());
    const now = this.#now();
    const ms = now.getTime();
    let opened: KeyringOpened | undefined;
    if (req.token !== undefined && req.token !== '') {
      // Without a promise when the key is in memory and the credential opens (or fails for a
      // reason a refresh cannot change); else through the keyring (refresh, previous ID).
      const key = this.#o.credentialKeyNow?.();
      opened = key === undefined ? undefined : this.#open(key, req.token, now);
      if (opened === undefined || (!opened.ok && opened.reason === 'forged')) {
        opened = await openWithKeyring(this.#keyring, req.token, now, this.#openCached);
      }
    }
    const claims = opened?.ok === true ? opened.claims : undefined;

    const target = this.#target(req.url, snapshot);
    if (target.kind === 'refused') {
      return this.#fail(
        req,
        claims,
        'deny',
        PATH_REFUSALS.has(target.reason) ? 'BUSINESS_PATH_INVALID' : 'BUSINESS_INVALID_REQUEST',
      );
    }
    if (target.kind === 'no_site') {
      this.#line(req, claims, 'failed', 'BUSINESS_SITE_NOT_REGISTERED');
      return { kind: 'unprotected', reason: 'site' };
    }
    const resource = target.resource;
    if (resource === undefined) {
      if (this.#denyUnknownPaths)
        return this.#fail(req, claims, 'deny', 'BUSINESS_RESOURCE_NOT_REGISTERED');
      this.#line(req, claims, 'succeeded', 'BUSINESS_RESOURCE_NOT_PROTECTED');
      return { kind: 'unprotected', reason: 'path' };
    }

    if (opened === undefined)
      return this.#fail(req, claims, 'signon', 'BUSINESS_CREDENTIAL_MISSING');
    if (!opened.ok) {
      return this.#fail(
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
      const alive =
        c.sessionId !== null && (await this.#sessionAlive(c.sessionId, c.uid, req.client, ms));
      if (!alive) return this.#fail(req, claims, 'signon', 'BUSINESS_SESSION_INVALID');
    }
    const hit = this.#users.get(c.dn.toLowerCase());
    const user = hit !== undefined && hit.until > ms ? hit.user : await this.#user(c.dn, ms);
    if (user === undefined || user.uid !== c.uid || !this.#rolesOf(user, snapshot).ssoUser) {
      return this.#fail(req, claims, 'signon', 'BUSINESS_USER_NOT_FOUND');
    }
    if (user.ssoUserStatus === 'locked')
      return this.#fail(req, claims, 'signon', 'BUSINESS_USER_LOCKED');
    if (!withinValidity(user, now))
      return this.#fail(req, claims, 'signon', 'BUSINESS_OUT_OF_VALIDITY_PERIOD');

    const userRoles = this.#rolesOf(user, snapshot);
    if (!userRoles.printable) return this.#fail(req, claims, 'deny', 'BUSINESS_USER_INFO_INVALID');
    let allowed = userRoles.decisions.get(resource);
    if (allowed === undefined) {
      allowed = authorize(userRoles.effective, resource);
      userRoles.decisions.set(resource, allowed);
    }
    if (!allowed) return this.#fail(req, claims, 'deny', 'BUSINESS_ROLE_MISMATCH');
    const roles = userRoles.roles;
    this.#line(req, c, 'succeeded', undefined);
    return { kind: 'allow', uid: user.uid, dn: user.dn, roles };
  }
}
