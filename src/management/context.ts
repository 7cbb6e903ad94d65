/** What a management command runs against. Built once per process by src/main. */
import type { EventLog } from '../events/index.ts';
import type { KekService } from '../keyservers/kek.ts';
import type { KeyServerManager } from '../keyservers/manager.ts';
import type { AccessControlRepository } from '../sso/ports/access-control-repository.ts';
import type { UserRepository } from '../sso/ports/user-repository.ts';
import type { SsoUser } from '../sso/core/user.ts';
import type { ServiceIdService } from '../sso/core/service-id.ts';
import type { Session } from '../sso/core/session.ts';
import type { Page, PageRequest } from '../sso/ports/user-repository.ts';

export type Lang = 'ja' | 'en';

/** A setting's value as the configuration file holds it. */
export type SettingValue = string | number | boolean;

/** One changed setting, and when the change takes effect. */
export interface SettingChange {
  readonly path: string;
  readonly before: SettingValue;
  readonly after: SettingValue;
  /** 'now': in the running server at once; 'next-start': when `sekisho start` next reads the file. */
  readonly effect: 'now' | 'next-start';
}

/** The SSO settings: in force, waiting in the file for the next start, and how to change them. */
export interface SettingsService {
  /** The settings in force, by configuration path; undefined when no server runs. */
  inForce(): Readonly<Record<string, SettingValue>> | undefined;
  /** Settable settings whose value in the file differs from the one in force. */
  pending(): Readonly<Record<string, SettingValue>>;
  /**
   * Changes settable settings, given as `PATH=VALUE[,PATH=VALUE…]` (chssoconfig -set): validates the whole new configuration, writes the file
   * atomically, applies at once what is live, writes a system-log line; on a cluster, stores the
   * change for every node first (rejects SSO_CLUSTER_UNAVAILABLE, having changed nothing, when it
   * cannot). Throws a UsageError
   * naming each bad setting by its dotted path, having changed nothing.
   */
  change(set: string, client: string | undefined): Promise<readonly SettingChange[]>;
}

/** Which shared state a management command touches ({@link SharedState}). */
export type SharedAccess = 'read' | 'write';

/**
 * The key-server configuration and event log a cluster shares (src/main/shared-keyservers.ts);
 * absent on one machine.
 */
export interface SharedState {
  /** Runs `fn` after catching up with the other nodes. */
  read<T>(fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` as one change of the shared state, under the cluster's write lock. */
  write<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Catches up with the other nodes now. */
  sync(): Promise<void>;
  /** Resolves once what followed the other nodes' changes seen so far is done. */
  settled(): Promise<void>;
  /** Per node, milliseconds since a running node last said it was alive (`lsnode`). */
  heard(): Promise<ReadonlyMap<string, number>>;
}

export interface ManagementServices {
  readonly manager: KeyServerManager;
  readonly events: EventLog;
  readonly kek: KekService;
  /** On a cluster: the shared key-server state, and this node's id (`cluster.node-name`). */
  readonly shared?: SharedState;
  readonly localNodeId?: string;
  /** The service ID, wrapped by the KEK (`ssoupsid`). */
  readonly serviceId: ServiceIdService;
  /** The SSO user repository (the embedded store until the LDAP adapter of issue 6). */
  readonly users: UserRepository;
  /** Roles, role sets, sites, resources and their containers, in the same store as `users`. */
  readonly accessControl: AccessControlRepository;
  /**
   * The directory of the access logs (`logs.directory` resolved against the data directory),
   * read by `lsaccesslog` and `lsaccessstats`; absent when the process does not know it.
   */
  readonly accessLogDir?: string | undefined;
  /**
   * `repository.user-search-base`: where `mkssouser` puts a user when no DN is given (default
   * `ou=users,dc=sekisho,dc=local`, the configuration's default).
   */
  readonly userSearchBase?: string;
  /**
   * The settings `lsssoconfig` shows and `chssoconfig` changes (src/main/settings.ts); absent
   * when the process cannot know them.
   */
  readonly settings?: SettingsService;
  /**
   * The running repository server, when the command runs inside `sekisho start` (its lock
   * releases are written to the access and system logs); absent in a stand-alone CLI process.
   */
  readonly sso?: {
    unlock(uid: string, client: string | undefined): Promise<SsoUser | undefined>;
    /** Roles or role sets were changed (import-ldif): `RoleInfoUpd succeeded.` */
    roleInfoUpdated(client: string | undefined): void;
    /** The service ID was regenerated (`ssoupsid`): `Service ID update succeeded.` */
    serviceIdUpdated(client: string | undefined): void;
    /**
     * `ssosignoff`: ends the sessions of a session ID or of a user ID at once (every business
     * server of this process forgets them); resolves the sessions ended. Rejects when session
     * management is off.
     */
    forcedSignOff(
      target: { readonly sessionId: string } | { readonly uid: string },
    ): Promise<
      readonly { readonly id: string; readonly uid: string; readonly client: string | undefined }[]
    >;
    /** Reloads the access-control information of the business servers (`ResourceInfo`). */
    updateAccessControl(client: string | undefined): Promise<{ readonly ok: boolean }>;
    /**
     * An administrator created, changed or deleted the user `dn` (mkssouser, chssouser,
     * rmssouser, the console): `Modification succeeded.` in the repository access log.
     */
    userModified(dn: string, client: string | undefined): void;
    /** The session-management sessions (`lssession`); undefined when session management is off. */
    readonly sessions:
      | {
          list(page: PageRequest): Promise<Page<Session>>;
          byUid(uid: string): Promise<readonly Session[]>;
        }
      | undefined;
  };
}

export interface CommandContext {
  readonly services: ManagementServices;
  /** Language of texts in the output (event descriptions, meanings, user actions). */
  readonly lang: Lang;
  /** True when the caller is a REST client (which reads `data`, not the rendered text). */
  readonly rest?: boolean;
  /**
   * The address of the administrator's client (REST and console requests), written in the
   * client field of the repository access-log lines the command causes; undefined for the CLI
   * run in-process.
   */
  readonly client?: string | undefined;
}
