/**
 * The key-server manager: key-server objects (mkkeyserver, chkeyserver, rmkeyserver,
 * lskeyserver, testkeyserver), the system-wide key-server type, validation from every node
 * with its events (error code 1785, 086006–086009), auto-fix, status and err_seq_num, and
 * the periodic validation timer.
 */
import net from 'node:net';
import type { EventLog, EventRecord } from '../events/index.ts';
import {
  checkAddress,
  checkCertificatePem,
  checkDeviceGroup,
  checkName,
  checkPort,
} from './checks.ts';
import { clientFor, DEFAULT_KEYSERVER_TIMEOUT_MS } from './connect.ts';
import { KeyServerError } from './errors.ts';
import type { KekService } from './kek.ts';
import type { KeyServerStore } from './ports.ts';
import { ensureSystemCertificate } from './system-cert.ts';
import {
  KEY_SERVER_TYPES,
  MAX_KEY_SERVERS,
  type ClusterNode,
  type KeyServer,
  type KeyServerType,
  type KeyServerTypeConfig,
  type NodeValidation,
  type ValidationTarget,
} from './types.ts';
import { deriveStatus, validateKeyServer } from './validation.ts';

export const DEFAULT_KMIP_PORT = 5696;

export interface ManagerDeps {
  readonly store: KeyServerStore;
  readonly events: EventLog;
  readonly kek: KekService;
  /** One validation of one key server from one node; replaceable in tests of the manager. */
  readonly validate?: (t: ValidationTarget) => Promise<NodeValidation>;
  /**
   * On a cluster (docs/cluster.md): the node this process is. Validations then run from this
   * node only, and the results other nodes stored are kept beside this node's: a key server's
   * status and its auto-fix follow every node's latest validation. Absent: this process
   * validates from every node of its store (one machine).
   */
  readonly localNodeId?: string;
  /**
   * Runs a synchronous change of the store as one change of the shared state (on a cluster:
   * under the cluster's write lock, after catching up; src/main/shared-keyservers.ts). Absent:
   * the change runs at once.
   */
  readonly commit?: <T>(fn: () => T) => Promise<T>;
  /**
   * Asks the other nodes to validate key server `id` (every key server when undefined) from
   * their own service addresses (a cluster's `validate` message); absent on one machine.
   */
  readonly askOtherNodes?: (id: number | undefined) => void;
}

export interface ValidationSummary {
  readonly keyServer: KeyServer;
  readonly results: readonly NodeValidation[];
  /** Events raised (or coalesced) by this validation. */
  readonly raised: readonly EventRecord[];
  /** Events auto-fixed by this validation. */
  readonly autoFixed: readonly EventRecord[];
}

export interface KeyServerSpec {
  readonly ip: string;
  readonly port?: string | undefined;
  /** PEM text of the key server's own certificate. */
  readonly sslcert?: string | undefined;
  readonly name?: string | undefined;
  readonly primary?: boolean | undefined;
}

export interface KeyServerChange {
  readonly ip?: string | undefined;
  readonly port?: string | undefined;
  readonly sslcert?: string | undefined;
  readonly nosslcert?: boolean | undefined;
  readonly name?: string | undefined;
  readonly primary?: boolean | undefined;
}

export interface TypeChange {
  readonly deviceGroup?: string | undefined;
  readonly sslcert?: string | undefined;
  readonly nosslcert?: boolean | undefined;
  readonly username?: string | undefined;
  readonly nousername?: boolean | undefined;
  readonly password?: string | undefined;
  readonly nopassword?: boolean | undefined;
  readonly enable?: boolean | undefined;
  readonly disable?: boolean | undefined;
}

export class KeyServerManager {
  private readonly deps: ManagerDeps;
  private timer: NodeJS.Timeout | undefined;
  private periodicRun: Promise<unknown> | undefined;

  constructor(deps: ManagerDeps) {
    this.deps = deps;
  }

  get store(): KeyServerStore {
    return this.deps.store;
  }

  list(): KeyServer[] {
    return this.deps.store.listKeyServers();
  }

  /** Finds a key server by id (digits) or name. */
  find(idOrName: string): KeyServer {
    const all = this.list();
    const found = /^\d+$/.test(idOrName)
      ? all.find((k) => k.id === Number(idOrName))
      : all.find((k) => k.name === idOrName);
    if (!found)
      throw new KeyServerError(
        'KEYSERVER_NOT_FOUND',
        `no key server has the id or name ${JSON.stringify(idOrName)}`,
      );
    return found;
  }

  /** The key-server type enabled system-wide, if any. */
  enabledType(): KeyServerTypeConfig | undefined {
    return KEY_SERVER_TYPES.map((t) => this.deps.store.getTypeConfig(t)).find((c) => c.enabled);
  }

  typeConfig(type: KeyServerType): KeyServerTypeConfig {
    return this.deps.store.getTypeConfig(type);
  }

  /** chkeyserverisklm and its counterparts. Parameters are all checked before anything changes. */
  changeType(type: KeyServerType, change: TypeChange): KeyServerTypeConfig {
    const before = this.deps.store.getTypeConfig(type);
    if (change.enable && change.disable)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-enable and -disable exclude each other',
      );
    if (change.sslcert !== undefined && change.nosslcert)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-sslcert and -nosslcert exclude each other',
      );
    if (change.username !== undefined && change.nousername)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-username and -nousername exclude each other',
      );
    if (change.password !== undefined && change.nopassword)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-password and -nopassword exclude each other',
      );
    if (
      change.disable &&
      Object.entries(change).some(([k, v]) => k !== 'disable' && v !== undefined && v !== false)
    ) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-disable cannot be combined with other parameters',
      );
    }
    if (change.deviceGroup !== undefined && type !== 'isklm')
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-devicegroup applies to the isklm type only',
      );
    if (
      (change.username !== undefined || change.password !== undefined) &&
      type !== 'ciphertrustmanager'
    ) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-username and -password apply to the ciphertrustmanager type only',
      );
    }
    for (const [what, v] of [
      ['-username', change.username],
      ['-password', change.password],
    ] as const) {
      if (v !== undefined && !/^[A-Za-z0-9]{1,64}$/.test(v)) {
        throw new KeyServerError(
          'KEYSERVER_INVALID_PARAMETER',
          `${what} must be 1-64 letters or digits`,
        );
      }
    }
    const deviceGroup =
      change.deviceGroup === undefined ? before.deviceGroup : checkDeviceGroup(change.deviceGroup);
    const ca = change.nosslcert
      ? undefined
      : change.sslcert === undefined
        ? before.caCertPem
        : checkCertificatePem(change.sslcert, '-sslcert');
    const keyServers = this.list();
    if (change.enable) {
      const other = this.enabledType();
      if (other && other.type !== type && keyServers.length > 0) {
        throw new KeyServerError(
          'KEYSERVER_TYPE_CONFLICT',
          `the ${other.type} type is enabled and has key servers; remove them (rmkeyserver) first`,
        );
      }
    }
    if (change.disable && keyServers.some((k) => k.type === type)) {
      throw new KeyServerError(
        'KEYSERVER_TYPE_CONFLICT',
        `key servers of the ${type} type are defined; remove them (rmkeyserver) first`,
      );
    }
    const username = change.nousername ? undefined : (change.username ?? before.username);
    const password = change.nopassword ? undefined : (change.password ?? before.password);
    const next: KeyServerTypeConfig = {
      type,
      enabled: change.enable ? true : change.disable ? false : before.enabled,
      ...(deviceGroup === undefined ? {} : { deviceGroup }),
      ...(ca === undefined ? {} : { caCertPem: ca }),
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
    };
    this.deps.store.transaction(() => {
      if (change.enable) {
        for (const t of KEY_SERVER_TYPES) {
          if (t !== type) {
            const c = this.deps.store.getTypeConfig(t);
            if (c.enabled) this.deps.store.putTypeConfig({ ...c, enabled: false });
          }
        }
      }
      this.deps.store.putTypeConfig(next);
    });
    return next;
  }

  /** Per-type status as lskeyserverisklm reports it. */
  typeStatus(type: KeyServerType): 'disabled' | 'enabled_inactive' | 'enabled_active' {
    const c = this.deps.store.getTypeConfig(type);
    if (!c.enabled) return 'disabled';
    const enc = this.deps.store.getEncryption();
    return enc.keyServerEnabled && this.list().some((k) => k.type === type)
      ? 'enabled_active'
      : 'enabled_inactive';
  }

  /** mkkeyserver: creates the object, then validates it from every node. */
  async create(spec: KeyServerSpec): Promise<ValidationSummary> {
    const type = this.enabledType();
    if (!type) {
      throw new KeyServerError(
        'KEYSERVER_TYPE_NOT_ENABLED',
        'enable a key-server type first (chkeyserverisklm -enable, chkeyserverciphertrustmanager -enable or chkeyserverkmip -enable)',
      );
    }
    const ip = checkAddress(spec.ip);
    const port = spec.port === undefined ? DEFAULT_KMIP_PORT : checkPort(spec.port);
    const name = spec.name === undefined ? undefined : checkName(spec.name);
    const certPem =
      spec.sslcert === undefined ? undefined : checkCertificatePem(spec.sslcert, '-sslcert');
    const created = await this.#commit(() =>
      this.deps.store.transaction(() => {
        const all = this.list();
        if (all.length >= MAX_KEY_SERVERS)
          throw new KeyServerError(
            'KEYSERVER_LIMIT',
            `at most ${MAX_KEY_SERVERS} key servers can be defined`,
          );
        if (name !== undefined && all.some((k) => k.name === name))
          throw new KeyServerError(
            'KEYSERVER_NAME_IN_USE',
            `a key server is named ${name} already`,
          );
        const primaryNow = all.find((k) => k.primary);
        if (spec.primary && primaryNow) {
          throw new KeyServerError(
            'KEYSERVER_PRIMARY_EXISTS',
            `key server ${primaryNow.id} (${primaryNow.name}) is the primary; move it with chkeyserver -primary`,
          );
        }
        return this.deps.store.insertKeyServer({
          name,
          ip,
          port,
          type: type.type,
          primary: spec.primary ?? false,
          certPem,
        });
      }),
    );
    this.deps.askOtherNodes?.(created.id);
    return this.validateOne(created);
  }

  /** chkeyserver: changes the object, then validates it (and a new primary). */
  async change(idOrName: string, change: KeyServerChange): Promise<ValidationSummary> {
    if (change.sslcert !== undefined && change.nosslcert)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        '-sslcert and -nosslcert exclude each other',
      );
    if (change.primary === false)
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        'make another key server the primary instead (chkeyserver -primary OTHER)',
      );
    const ks = this.find(idOrName);
    const newIp = change.ip === undefined ? undefined : checkAddress(change.ip);
    const newPort = change.port === undefined ? undefined : checkPort(change.port);
    const newName = change.name === undefined ? undefined : checkName(change.name);
    const newCert =
      change.sslcert === undefined ? undefined : checkCertificatePem(change.sslcert, '-sslcert');
    if (Object.values(change).every((v) => v === undefined)) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_PARAMETER',
        'give at least one of -ip, -port, -sslcert, -nosslcert, -name, -primary',
      );
    }
    const updated = await this.#commit(() =>
      this.deps.store.transaction(() => {
        // The key server as it is now (on a cluster another node may have changed it since
        // `ks` was read): only the fields given change.
        const current = this.find(String(ks.id));
        const name = newName ?? current.name;
        if (name !== current.name && this.list().some((k) => k.name === name)) {
          throw new KeyServerError(
            'KEYSERVER_NAME_IN_USE',
            `a key server is named ${name} already`,
          );
        }
        if (change.primary) {
          for (const other of this.list()) {
            if (other.primary && other.id !== current.id)
              this.deps.store.updateKeyServer({ ...other, primary: false });
          }
        }
        const next: KeyServer = {
          ...current,
          ip: newIp ?? current.ip,
          port: newPort ?? current.port,
          name,
          certPem: change.nosslcert ? undefined : (newCert ?? current.certPem),
          primary: change.primary ? true : current.primary,
        };
        this.deps.store.updateKeyServer(next);
        return this.deps.store.getKeyServer(current.id)!;
      }),
    );
    this.deps.askOtherNodes?.(updated.id);
    return this.validateOne(updated);
  }

  /** rmkeyserver. */
  remove(idOrName: string): KeyServer {
    const ks = this.find(idOrName);
    const enc = this.deps.store.getEncryption();
    if (enc.keyServerEnabled) {
      const others = this.list().filter((k) => k.id !== ks.id);
      if (others.length === 0) {
        throw new KeyServerError(
          'KEYSERVER_PRIMARY_IN_USE',
          'the KEK lives on key servers: disable key-server encryption (chencryption -keyserver disable) before removing the last one',
        );
      }
      if (ks.primary) {
        throw new KeyServerError(
          'KEYSERVER_PRIMARY_IN_USE',
          'make another key server the primary (chkeyserver -primary) before removing this one',
        );
      }
    }
    this.deps.store.transaction(() => {
      this.deps.store.deleteKeyServer(ks.id);
      const uids = new Map(enc.kekUids);
      if (uids.delete(ks.id)) this.deps.store.putEncryption({ ...enc, kekUids: uids });
    });
    return ks;
  }

  /**
   * testkeyserver: validates one key server from every node now (on a cluster: from this node,
   * and the other nodes are asked to validate from theirs).
   */
  async test(idOrName: string): Promise<ValidationSummary> {
    const ks = this.find(idOrName);
    this.deps.askOtherNodes?.(ks.id);
    return this.validateOne(ks);
  }

  /**
   * Validates every key server from every node, concurrently. The periodic timer calls it with
   * `everyNode` false: on a cluster each node's own timer validates from that node.
   */
  async validateAll(everyNode = true): Promise<ValidationSummary[]> {
    if (everyNode) this.deps.askOtherNodes?.(undefined);
    return Promise.all(this.list().map((k) => this.validateOne(k)));
  }

  /** A cluster's `validate` message: validates from this node only, asking nobody else. */
  async validateHere(id: number | undefined): Promise<ValidationSummary[]> {
    const targets = this.list().filter((k) => id === undefined || k.id === id);
    return Promise.all(targets.map((k) => this.validateOne(k)));
  }

  /**
   * rmnode: forgets a node that left the cluster — its record and its validations; each key
   * server's status then follows the remaining nodes, and its events are auto-fixed when every
   * remaining node's latest validation passed. A node cannot remove itself, nor the last node.
   */
  async removeNode(idOrName: string): Promise<ClusterNode> {
    return this.#commit(() => {
      const nodes = this.deps.store.listNodes();
      const node = nodes.find((n) => n.id === idOrName || n.name === idOrName);
      if (!node) throw new KeyServerError('NODE_NOT_FOUND', `no node ${JSON.stringify(idOrName)}`);
      if (node.id === this.deps.localNodeId || nodes.length === 1)
        throw new KeyServerError(
          'KEYSERVER_INVALID_PARAMETER',
          nodes.length === 1
            ? 'the only node cannot be removed'
            : 'a node cannot remove itself: run rmnode at another node',
        );
      this.deps.store.transaction(() => {
        this.deps.store.deleteNode(node.id);
        for (const ks of this.list()) {
          const latest = ks.lastValidation.filter((r) => r.nodeId !== node.id);
          if (latest.length === ks.lastValidation.length) continue;
          const objectId = String(ks.id);
          if (latest.length > 0 && latest.every((r) => r.outcome.ok))
            this.deps.events.autoFix('keyserver', objectId);
          this.deps.store.saveValidation(
            ks.id,
            latest,
            latest.length === 0 ? ks.status : deriveStatus(latest),
          );
          const err = this.deps.events.highestPriorityUnfixed('keyserver', objectId);
          this.deps.store.updateKeyServer({
            ...this.deps.store.getKeyServer(ks.id)!,
            errSeqNum: err?.sequenceNumber,
          });
        }
      });
      return node;
    });
  }

  #commit<T>(fn: () => T): Promise<T> {
    return this.deps.commit === undefined ? Promise.resolve(fn()) : this.deps.commit(fn);
  }

  /** The nodes validations run from: this node on a cluster, every node otherwise. */
  #validatingNodes(): ClusterNode[] {
    const nodes = this.deps.store.listNodes();
    const me = this.deps.localNodeId;
    if (me === undefined) return nodes;
    return [nodes.find((n) => n.id === me) ?? { id: me, name: me, ipv4: 'any', ipv6: 'any' }];
  }

  private async targetsFor(ks: KeyServer): Promise<ValidationTarget[]> {
    const systemCert = await ensureSystemCertificate(this.deps.store);
    const typeConfig = this.deps.store.getTypeConfig(ks.type);
    const enc = this.deps.store.getEncryption();
    const uid = enc.kekUids.get(ks.id);
    const kek =
      enc.keyServerEnabled && uid !== undefined && enc.kcv !== undefined
        ? { uid, kcv: enc.kcv }
        : undefined;
    return this.#validatingNodes().map((node) => ({
      keyServer: ks,
      typeConfig,
      node,
      systemCert,
      kek,
      timeoutMs: this.timeoutMs(),
    }));
  }

  private async validateOne(ks: KeyServer): Promise<ValidationSummary> {
    const validate = this.deps.validate ?? validateKeyServer;
    const results = await Promise.all((await this.targetsFor(ks)).map((t) => validate(t)));
    return this.#commit(() => this.#record(ks, results));
  }

  /** Raises, auto-fixes and stores what a validation found (one change of the store). */
  #record(ks: KeyServer, results: readonly NodeValidation[]): ValidationSummary {
    const nodes = new Map(this.deps.store.listNodes().map((n) => [n.id, n]));
    const raised: EventRecord[] = [];
    let autoFixed: EventRecord[] = [];
    const objectId = String(ks.id);
    for (const r of results) {
      if (r.outcome.ok) continue;
      const node = nodes.get(r.nodeId);
      raised.push(
        this.deps.events.raise({
          eventId: r.outcome.eventId,
          objectType: 'keyserver',
          objectId,
          objectName: ks.name,
          reportingNodeId: r.nodeId,
          reportingNodeName: node?.name ?? r.nodeId,
          sense: r.outcome.sense,
        }),
      );
    }
    const current = this.deps.store.getKeyServer(ks.id);
    // On a cluster, every node's latest validation counts (of the nodes still defined).
    const me = this.deps.localNodeId;
    const latest =
      me === undefined || current === undefined
        ? results
        : [
            ...current.lastValidation.filter((r) => r.nodeId !== me && nodes.has(r.nodeId)),
            ...results,
          ].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
    if (latest.length > 0 && latest.every((r) => r.outcome.ok)) {
      autoFixed = this.deps.events.autoFix('keyserver', objectId);
    }
    if (!current) return { keyServer: ks, results, raised, autoFixed };
    const status = deriveStatus(latest);
    const err = this.deps.events.highestPriorityUnfixed('keyserver', objectId);
    this.deps.store.transaction(() => {
      this.deps.store.saveValidation(ks.id, latest, status);
      const saved = this.deps.store.getKeyServer(ks.id)!;
      this.deps.store.updateKeyServer({ ...saved, errSeqNum: err?.sequenceNumber });
    });
    return { keyServer: this.deps.store.getKeyServer(ks.id)!, results, raised, autoFixed };
  }

  private timeoutMs(): number {
    const s = this.deps.store.getSettings().validationTimeoutSeconds;
    return s > 0 ? s * 1000 : DEFAULT_KEYSERVER_TIMEOUT_MS;
  }

  /** Refreshes err_seq_num of every key server (after cheventlog -fix). */
  refreshErrSeqNums(): void {
    for (const ks of this.list()) {
      const err = this.deps.events.highestPriorityUnfixed('keyserver', String(ks.id));
      if (err?.sequenceNumber !== ks.errSeqNum)
        this.deps.store.updateKeyServer({ ...ks, errSeqNum: err?.sequenceNumber });
    }
  }

  /** A KMIP client to a key server from the first node (KEK operations). */
  async connect(ks: KeyServer): Promise<ReturnType<typeof clientFor>> {
    const systemCert = await ensureSystemCertificate(this.deps.store);
    const node = this.#validatingNodes()[0];
    const family = net.isIP(ks.ip) === 6 ? node?.ipv6 : node?.ipv4;
    return clientFor({
      keyServer: ks,
      typeConfig: this.deps.store.getTypeConfig(ks.type),
      systemCert,
      localAddress: family === undefined || family === 'any' ? undefined : family,
      timeoutMs: this.timeoutMs(),
    });
  }

  /**
   * Starts the periodic validation (default every 15 minutes; the interval is re-read from
   * the settings at every tick, 0 pauses it). A run never overlaps the previous one.
   * `minuteMs` exists for tests, which cannot wait minutes.
   */
  startTimer(
    options: {
      readonly tickMs?: number;
      readonly minuteMs?: number;
      readonly onRun?: (s: ValidationSummary[]) => void;
      readonly onError?: (e: unknown) => void;
    } = {},
  ): void {
    const minuteMs = options.minuteMs ?? 60_000;
    let last = Date.now();
    this.timer = setInterval(() => {
      const minutes = this.deps.store.getSettings().validationIntervalMinutes;
      if (minutes <= 0 || this.periodicRun || Date.now() - last < minutes * minuteMs) return;
      last = Date.now();
      this.periodicRun = this.validateAll(false)
        .then(
          (s) => options.onRun?.(s),
          (e: unknown) => options.onError?.(e),
        )
        .finally(() => {
          this.periodicRun = undefined;
        });
    }, options.tickMs ?? 10_000);
    this.timer.unref();
  }

  async stopTimer(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.periodicRun;
  }
}
