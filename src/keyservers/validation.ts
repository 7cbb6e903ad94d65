/**
 * Validation of one key server from one cluster node (shared/reference/keyserver-ibm.md §3):
 * the stages of {@link STAGES} in order, each timed, stopping at the first failure, which
 * becomes event 086006, 086007, 086008 or 086009 with its 128 bytes of sense data
 * (sense-layout.ts).
 *
 * Client-side KMIP error codes (086006 sense bytes 0–3; 0 when the key server itself returned
 * a failure result, whose status, reason and message then fill bytes 4–127):
 *   1  key check value mismatch: the KEK on the key server is not the cluster's KEK
 *   2  not a 256-bit AES key: the object behind the KEK's unique identifier is something else
 *   3  malformed response: the answer broke the KMIP encoding or the request/response protocol
 *   4  request timeout: no answer within the time limit
 *   5  other client-side failure (unexpected error; the message says what)
 *
 * Where failures land:
 *   service_ip, dns, tcp, tls, certificates → 086008 (stage code 1–5, cause code, message);
 *   a transport failure during a KMIP stage → 086008 with stage code tls (4) for a TLS alert
 *   or a hang-up at the first request (a key server refusing the system certificate after a
 *   TLS 1.3 handshake the client had already completed), tcp (3) for a connection dropped
 *   later; the failing stage in the list is then the KMIP stage;
 *   discover_versions: failure result → 086006; no common version ≥ 1.3 → 086007 reason 1;
 *   query: failure result → 086006; vendor not allowed for the type → 086007 reason 2;
 *   product version too old or unknown → 086007 reason 3; a primary reporting
 *   ServerType=clone → 086009;
 *   kek: failure result → 086006; wrong key → 086006 with client code 1 or 2.
 * An expired certificate is normally refused by the TLS handshake already (stage tls, cause
 * CERT_HAS_EXPIRED); the certificates stage then checks dates against `target.now` and warns
 * about certificates that expire within 30 days.
 *
 * One TLS connection serves every KMIP stage: the client is created for KMIP 1.4 and is
 * re-created (one more handshake) only when the highest common version is 1.3.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import dns from 'node:dns';
import net from 'node:net';
import {
  CryptographicAlgorithm,
  KmipClient,
  KmipError,
  KmipOperationError,
  KmipTransportError,
  QueryFunction,
  ResultReason,
  SUPPORTED_VERSIONS,
  chooseVersion,
  compareVersions,
  formatVersion,
  sameVersion,
  type KmipClientOptions,
  type ProtocolVersion,
} from '../kmip/index.ts';
import {
  CONNECTION_STAGE_CODES,
  encodeSense,
  type EventId,
  type SenseData as SenseFields,
} from '../events/index.ts';

type ConnectionStage = keyof typeof CONNECTION_STAGE_CODES;
import { checkTypeRule, identityOf } from './type-rules.ts';
import { clientOptionsFor, trustAnchors } from './connect.ts';
import { kcvOf } from './kek.ts';
import type {
  ClusterNode,
  KeyServerStatus,
  NodeValidation,
  StageCode,
  StageResult,
  ValidationOutcome,
  ValidationTarget,
} from './types.ts';

/** Time limit of each network step when the target gives none, ms. */
export const DEFAULT_VALIDATION_TIMEOUT_MS = 10_000;
/** Certificates expiring within this many days pass with a warning. */
export const CERT_WARNING_DAYS = 30;

/** Client-side KMIP error codes of 086006 (see the comment at the top). */
export const CLIENT_ERROR_CODES = {
  serverResult: 0,
  kcvMismatch: 1,
  notAes256: 2,
  malformedResponse: 3,
  requestTimeout: 4,
  clientFailure: 5,
} as const;

const MIN_KMIP: ProtocolVersion = { major: 1, minor: 3 };
const MAX_KMIP: ProtocolVersion = { major: 1, minor: 4 };
const DAY_MS = 86_400_000;

export { kcvOf } from './kek.ts';

/** Key-server status from the validations of every node: all ok, some ok, none ok. */
export function deriveStatus(results: readonly NodeValidation[]): KeyServerStatus {
  const ok = results.filter((r) => r.outcome.ok).length;
  if (ok > 0 && ok === results.length) return 'online';
  return ok > 0 ? 'degraded' : 'offline';
}

/** Validates every target concurrently; results in the order of `targets`. */
export function validateAll(targets: readonly ValidationTarget[]): Promise<NodeValidation[]> {
  return Promise.all(targets.map((t) => validateKeyServer(t)));
}

/** A stage failure: the one-line detail and the event it raises. */
class StageFailure extends Error {
  readonly eventId: EventId;
  readonly sense: Uint8Array;
  constructor(detail: string, fields: SenseFields) {
    super(detail);
    this.name = 'StageFailure';
    this.eventId = fields.eventId;
    this.sense = encodeSense(fields);
  }
}

function connectionFailure(
  stage: ConnectionStage,
  causeCode: string,
  message: string,
): StageFailure {
  return new StageFailure(message, {
    eventId: '086008',
    stageCode: CONNECTION_STAGE_CODES[stage],
    causeCode,
    message,
  });
}

function clientFailure(code: number, message: string, detail = message): StageFailure {
  return new StageFailure(detail, {
    eventId: '086006',
    clientErrorCode: code,
    resultStatus: 0,
    resultReason: 0,
    resultMessage: message,
  });
}

function errorCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Maps an error of a KMIP stage (discover_versions, query, kek) to its event. `first`: the
 * first request on a fresh connection, where a closed connection means the key server refused
 * the TLS session (a Node or Go server hangs up without an alert when it rejects the client
 * certificate of a TLS 1.3 handshake, which the client has already completed).
 */
function kmipStageFailure(e: unknown, first = false): StageFailure {
  if (e instanceof StageFailure) return e;
  if (e instanceof KmipOperationError) {
    return new StageFailure(e.message, {
      eventId: '086006',
      clientErrorCode: CLIENT_ERROR_CODES.serverResult,
      resultStatus: e.resultStatus,
      resultReason: e.resultReason ?? 0,
      resultMessage: e.resultMessage ?? e.message,
    });
  }
  if (e instanceof KmipTransportError) {
    if (e.code === 'KMIP_REQUEST_TIMEOUT') {
      return clientFailure(CLIENT_ERROR_CODES.requestTimeout, e.message);
    }
    if (e.code === 'KMIP_PROTOCOL_ERROR') {
      return clientFailure(CLIENT_ERROR_CODES.malformedResponse, e.message);
    }
    // The connection failed under a request: refused by TLS after the handshake (TLS 1.3
    // alerts arrive with the first request), or dropped.
    if (first && e.code === 'KMIP_CONNECTION_CLOSED') {
      return connectionFailure(
        'tls',
        e.causeCode ?? e.code,
        `${e.message} right after the TLS handshake: does it accept the system certificate?`,
      );
    }
    return connectionFailure(e.stage === 'tls' ? 'tls' : 'tcp', e.causeCode ?? e.code, e.message);
  }
  if (e instanceof KmipError) {
    return clientFailure(CLIENT_ERROR_CODES.malformedResponse, e.message);
  }
  return clientFailure(CLIENT_ERROR_CODES.clientFailure, messageOf(e));
}

/** Maps a failed connect (TCP plus TLS) to its stage. */
function connectStageFailure(
  e: unknown,
  hint: (code: string | undefined) => string = () => '',
  prefix = '',
): { stage: 'tcp' | 'tls'; failure: StageFailure } {
  if (e instanceof KmipTransportError) {
    const stage = e.stage === 'tcp' ? 'tcp' : 'tls';
    const cause = e.causeCode ?? e.code;
    const message = prefix + e.message + hint(e.causeCode);
    return { stage, failure: connectionFailure(stage, cause, message) };
  }
  if (e instanceof KmipError) {
    return { stage: 'tcp', failure: connectionFailure('tcp', e.code, prefix + e.message) };
  }
  // tls.connect refusing its options (a certificate or key that does not load).
  return {
    stage: 'tls',
    failure: connectionFailure(
      'tls',
      errorCode(e) ?? 'TLS_SETUP_FAILED',
      `${prefix}cannot set up TLS: ${messageOf(e)}`,
    ),
  };
}

/** PEM certificate blocks of `pem`. */
function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function parseCerts(pem: string): X509Certificate[] {
  const blocks = pemBlocks(pem);
  if (blocks.length === 0) throw new Error('no PEM certificate found');
  return blocks.map((b) => new X509Certificate(b));
}

/** An X.509 name as node prints it (one RDN per line) on one line. */
function dnOneLine(dn: string): string {
  return dn.split('\n').join(', ');
}

function describeSource(a: string | undefined): string {
  return a === undefined ? 'any source address' : a;
}

function familyName(f: 4 | 6): string {
  return f === 4 ? 'IPv4' : 'IPv6';
}

/** The node's service address of family `f`: a literal, `undefined` (any) or `null` (none). */
function serviceAddress(node: ClusterNode, f: 4 | 6): string | undefined | null {
  const a = f === 4 ? node.ipv4 : node.ipv6;
  if (a === undefined) return null;
  return a === 'any' ? undefined : a;
}

function noServiceAddress(node: ClusterNode, what: string): StageFailure {
  const cause =
    what === 'IPv6'
      ? 'NO_IPV6_SERVICE_IP'
      : what === 'IPv4'
        ? 'NO_IPV4_SERVICE_IP'
        : 'NO_SERVICE_IP';
  return connectionFailure('service_ip', cause, `node ${node.name} has no ${what} service address`);
}

async function lookupAll(name: string, timeoutMs: number): Promise<dns.LookupAddress[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(
        Object.assign(new Error(`no DNS answer for ${name} within ${timeoutMs} ms`), {
          code: 'ETIMEOUT',
        }),
      );
    }, timeoutMs);
  });
  try {
    const r = await Promise.race([dns.promises.lookup(name, { all: true }), timeout]);
    if (r.length === 0) {
      throw Object.assign(new Error(`${name} has no address`), { code: 'ENOTFOUND' });
    }
    return r;
  } finally {
    clearTimeout(timer);
  }
}

/** A plain TCP connection, closed at once: the tcp stage when TLS cannot even be tried. */
function tcpProbe(
  host: string,
  port: number,
  localAddress: string | undefined,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({
      host,
      port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        connectionFailure(
          'tcp',
          'ETIMEDOUT',
          `TCP connection to ${host}:${port} did not complete within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(
        connectionFailure(
          'tcp',
          errorCode(e) ?? 'ECONNECT',
          `cannot connect to ${host}:${port}: ${e.message}`,
        ),
      );
    });
  });
}

interface Done<T> {
  readonly value: T;
  readonly detail: string;
  readonly warnings?: readonly string[];
}

function done(detail: string, warnings: readonly string[] = []): Done<undefined> {
  return { value: undefined, detail, ...(warnings.length ? { warnings } : {}) };
}

class ValidationRun {
  readonly stages: StageResult[] = [];
  private readonly t: ValidationTarget;
  private readonly timeoutMs: number;
  private client: KmipClient | undefined;

  constructor(target: ValidationTarget) {
    this.t = target;
    this.timeoutMs = target.timeoutMs ?? DEFAULT_VALIDATION_TIMEOUT_MS;
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }

  private record(stage: StageCode, ms: number, r: Done<unknown> | StageFailure): void {
    const durationMs = Math.max(0, ms);
    if (r instanceof StageFailure) {
      this.stages.push({ stage, ok: false, durationMs, detail: r.message });
    } else {
      this.stages.push({
        stage,
        ok: true,
        durationMs,
        detail: r.detail,
        ...(r.warnings?.length ? { warnings: r.warnings } : {}),
      });
    }
  }

  /** Runs one stage: records it, returns its value, or throws its StageFailure. */
  private async stage<T>(
    stage: StageCode,
    fn: () => Done<T> | Promise<Done<T>>,
    onError: (e: unknown) => StageFailure,
  ): Promise<T> {
    const t0 = performance.now();
    let r: Done<T>;
    try {
      r = await fn();
    } catch (e) {
      const f = e instanceof StageFailure ? e : onError(e);
      this.record(stage, performance.now() - t0, f);
      throw f;
    }
    this.record(stage, performance.now() - t0, r);
    return r.value;
  }

  async execute(): Promise<ValidationOutcome> {
    const { keyServer: ks, node } = this.t;
    const unexpected = (stage: ConnectionStage) => (e: unknown) =>
      connectionFailure(stage, errorCode(e) ?? 'ERROR', messageOf(e));

    // service_ip and dns: where to connect to, and from which address.
    let address: string;
    let localAddress: string | undefined;
    const literal = net.isIP(ks.ip);
    if (literal === 4 || literal === 6) {
      localAddress = await this.stage(
        'service_ip',
        () => {
          const src = serviceAddress(node, literal);
          if (src === null) throw noServiceAddress(node, familyName(literal));
          return {
            value: src,
            detail: `${familyName(literal)} service address of node ${node.name}: ${describeSource(src)}`,
          };
        },
        unexpected('service_ip'),
      );
      await this.stage('dns', () => done('IP literal: no lookup'), unexpected('dns'));
      address = ks.ip;
    } else {
      // A DNS name: the family of the answer decides the service address, so the lookup
      // runs first; the stages are still reported in their fixed order.
      const t0 = performance.now();
      let answers: dns.LookupAddress[] | undefined;
      let dnsError: StageFailure | undefined;
      try {
        answers = await lookupAll(ks.ip, this.timeoutMs);
      } catch (e) {
        dnsError = connectionFailure(
          'dns',
          errorCode(e) ?? 'EDNS',
          `cannot resolve ${ks.ip}: ${messageOf(e)}`,
        );
      }
      const dnsMs = performance.now() - t0;
      const picked = await this.stage(
        'service_ip',
        () => {
          if (node.ipv4 === undefined && node.ipv6 === undefined) {
            throw noServiceAddress(node, 'IPv4 or IPv6');
          }
          if (answers === undefined) {
            return {
              value: undefined,
              detail: `node ${node.name} has IPv4 ${node.ipv4 ?? 'none'}, IPv6 ${node.ipv6 ?? 'none'}; the family follows the DNS answer`,
            };
          }
          for (const a of answers) {
            const f = a.family === 6 ? 6 : 4;
            const src = serviceAddress(node, f);
            if (src !== null) {
              return {
                value: { address: a.address, localAddress: src },
                detail: `${familyName(f)} service address of node ${node.name}: ${describeSource(src)} (${ks.ip} is ${a.address})`,
              };
            }
          }
          const fams = [...new Set(answers.map((a) => (a.family === 6 ? 6 : 4)))];
          const missing = fams.map((f) => familyName(f)).join(' or ');
          throw connectionFailure(
            'service_ip',
            fams.length === 1 && fams[0] === 6 ? 'NO_IPV6_SERVICE_IP' : 'NO_IPV4_SERVICE_IP',
            `${ks.ip} resolves to ${answers.map((a) => a.address).join(', ')}; node ${node.name} has no ${missing} service address`,
          );
        },
        unexpected('service_ip'),
      );
      if (dnsError !== undefined || picked === undefined) {
        const f = dnsError ?? connectionFailure('dns', 'ENOTFOUND', `cannot resolve ${ks.ip}`);
        this.record('dns', dnsMs, f);
        throw f;
      }
      this.record('dns', dnsMs, done(`${ks.ip} → ${answers!.map((a) => a.address).join(', ')}`));
      address = picked.address;
      localAddress = picked.localAddress;
    }

    const options = await this.connectStages(address, localAddress);
    await this.stage('certificates', () => this.checkCertificates(), unexpected('certificates'));
    const version = await this.stage(
      'discover_versions',
      () => this.discoverVersions(options),
      (e) => kmipStageFailure(e, true),
    );
    const identity = await this.stage(
      'query',
      () => this.query(version),
      (e) => kmipStageFailure(e),
    );
    await this.stage(
      'kek',
      () => this.checkKek(),
      (e) => kmipStageFailure(e),
    );
    return {
      ok: true,
      protocolVersion: formatVersion(version),
      vendorIdentification: identity.vendorIdentification,
      serverType: identity.serverType,
      productVersion: identity.productVersion,
    };
  }

  /** tcp and tls: one KmipClient.connect(). Returns the client options (for a re-connect). */
  private async connectStages(
    address: string,
    localAddress: string | undefined,
  ): Promise<KmipClientOptions> {
    const { keyServer: ks, typeConfig, systemCert } = this.t;
    const where = `${address}:${ks.port} from ${describeSource(localAddress)}`;
    const pinnedPem = ks.certPem;
    if (trustAnchors(this.t).length === 0) {
      await this.stage(
        'tcp',
        async () => {
          await tcpProbe(address, ks.port, localAddress, this.timeoutMs);
          return done(`connected to ${where}`);
        },
        (e) => connectionFailure('tcp', errorCode(e) ?? 'ECONNECT', messageOf(e)),
      );
      const f = connectionFailure(
        'tls',
        'NO_TRUST_ANCHOR',
        `nothing to verify key server ${ks.name} with: give it its certificate (-sslcert) or set the ${ks.type} CA certificate`,
      );
      this.record('tls', 0, f);
      throw f;
    }

    let verifiedBy = 'the type CA certificate';
    const options: KmipClientOptions = clientOptionsFor({
      keyServer: ks,
      typeConfig,
      systemCert,
      address,
      localAddress,
      timeoutMs: this.timeoutMs,
      protocolVersion: MAX_KMIP,
      onVerified: (how) => {
        verifiedBy =
          how === 'pinned' ? 'the key server certificate (pinned)' : 'the type CA certificate';
      },
    });
    const hint = (code: string | undefined): string => {
      if (
        typeConfig.caCertPem !== undefined ||
        (code !== 'SELF_SIGNED_CERT_IN_CHAIN' && code !== 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY')
      ) {
        return '';
      }
      try {
        const c = parseCerts(pinnedPem ?? '')[0]!;
        return c.issuer === c.subject
          ? ''
          : `; the key server certificate is issued by ${dnOneLine(c.issuer)}: set the ${ks.type} CA certificate too`;
      } catch {
        return '';
      }
    };

    const t0 = performance.now();
    try {
      this.client = new KmipClient(options);
      await this.client.connect();
    } catch (e) {
      const ms = performance.now() - t0;
      const { stage, failure } = connectStageFailure(e, hint);
      if (stage === 'tls') {
        this.record('tcp', 0, done(`connected to ${where} (time counted in the tls stage)`));
      }
      this.record(stage, ms, failure);
      throw failure;
    }
    const ms = performance.now() - t0;
    const d = this.client.tls;
    this.record('tcp', d?.tcpMs ?? 0, done(`connected to ${where}`));
    this.record(
      'tls',
      d ? ms - d.tcpMs : ms,
      done(`${d?.protocol ?? 'TLS'} ${d?.cipher ?? ''}, server verified by ${verifiedBy}`),
    );
    return options;
  }

  /** Dates (and parsing) of the system certificate, the presented and the pinned certificate. */
  private checkCertificates(): Done<undefined> {
    const { keyServer: ks, systemCert, typeConfig } = this.t;
    const now = this.t.now ?? new Date();
    const warnings: string[] = [];
    const notes: string[] = [];

    const parse = (what: string, pem: string): X509Certificate[] => {
      try {
        return parseCerts(pem);
      } catch (e) {
        throw connectionFailure(
          'certificates',
          errorCode(e) ?? 'CERT_UNPARSEABLE',
          `the ${what} is not a PEM certificate: ${messageOf(e)}`,
        );
      }
    };
    const dates = (what: string, c: X509Certificate): void => {
      const from = c.validFromDate;
      const to = c.validToDate;
      const who = `the ${what} (${dnOneLine(c.subject)})`;
      if (now < from) {
        throw connectionFailure(
          'certificates',
          'CERT_NOT_YET_VALID',
          `${who} is not valid before ${from.toISOString()}`,
        );
      }
      if (now > to) {
        throw connectionFailure(
          'certificates',
          'CERT_HAS_EXPIRED',
          `${who} expired on ${to.toISOString()}`,
        );
      }
      const days = (to.getTime() - now.getTime()) / DAY_MS;
      if (days < CERT_WARNING_DAYS) {
        warnings.push(`${who} expires in ${Math.floor(days)} days (${to.toISOString()})`);
      }
    };

    // Our side: the system certificate, its key, and its use for client authentication.
    const sys = parse('system certificate', systemCert.certPem)[0]!;
    dates('system certificate', sys);
    let keyMatches: boolean;
    try {
      keyMatches = sys.checkPrivateKey(createPrivateKey(systemCert.keyPem));
    } catch (e) {
      throw connectionFailure(
        'certificates',
        errorCode(e) ?? 'KEY_UNPARSEABLE',
        `the system certificate's private key does not load: ${messageOf(e)}`,
      );
    }
    if (!keyMatches) {
      throw connectionFailure(
        'certificates',
        'KEY_VALUES_MISMATCH',
        "the system certificate's private key does not belong to it",
      );
    }
    const eku = (sys as { keyUsage?: readonly string[] | undefined }).keyUsage;
    if (eku === undefined || eku.length === 0) {
      warnings.push(
        'the system certificate has no extended key usage; key servers that require clientAuth refuse it',
      );
    } else if (!eku.includes('1.3.6.1.5.5.7.3.2') && !eku.includes('2.5.29.37.0')) {
      warnings.push('the system certificate is not for client authentication (no EKU clientAuth)');
    }
    notes.push(`system certificate valid until ${sys.validToDate.toISOString()}`);

    // Their side: what the key server presented, and what we were given for it.
    const raw = this.client?.tls?.peerCertificate?.raw;
    if (raw !== undefined) {
      const presented = new X509Certificate(raw);
      dates('key server certificate', presented);
      notes.push(
        `key server certificate ${dnOneLine(presented.subject)} valid until ${presented.validToDate.toISOString()}`,
      );
    }
    if (ks.certPem !== undefined) {
      for (const c of parse('certificate defined for the key server', ks.certPem)) {
        dates('certificate defined for the key server', c);
      }
    }
    if (typeConfig.caCertPem !== undefined) {
      for (const c of parse(`${ks.type} CA certificate`, typeConfig.caCertPem)) {
        dates(`${ks.type} CA certificate`, c);
      }
    }
    return done(notes.join('; '), warnings);
  }

  private async discoverVersions(options: KmipClientOptions): Promise<Done<ProtocolVersion>> {
    const client = this.client!;
    let versions: ProtocolVersion[];
    try {
      versions = await client.discoverVersions();
    } catch (e) {
      if (!(e instanceof KmipOperationError)) throw e;
      if (e.messageRejected && e.resultReason === ResultReason.InvalidMessage) {
        // A server whose newest version is older refuses the 1.4 header itself; every server
        // that knows Discover Versions accepts a 1.1 header.
        versions = await client.discoverVersions(SUPPORTED_VERSIONS, { major: 1, minor: 1 });
      } else if (!e.messageRejected && e.resultReason === ResultReason.OperationNotSupported) {
        versions = [{ major: 1, minor: 0 }]; // KMIP 1.0 has no Discover Versions
      } else {
        throw e;
      }
    }
    const listed = versions.map(formatVersion).join(', ') || 'none';
    const highest =
      chooseVersion(versions) ?? [...versions].sort((a, b) => compareVersions(b, a))[0];
    const chosen = chooseVersion(versions, { min: MIN_KMIP, max: MAX_KMIP });
    if (chosen === undefined) {
      const detail = `no common KMIP version ${formatVersion(MIN_KMIP)} or later: the key server speaks ${listed}`;
      throw new StageFailure(detail, {
        eventId: '086007',
        kmipMajor: highest?.major ?? 0,
        kmipMinor: highest?.minor ?? 0,
        reason: 1,
        vendorIdentification: '',
        productVersion: '',
        serverType: '',
      });
    }
    let again = '';
    if (!sameVersion(chosen, client.protocolVersion ?? MAX_KMIP)) {
      // The client speaks the version it was created with: a new one, on a new connection.
      client.close();
      const t0 = performance.now();
      this.client = new KmipClient({ ...options, protocolVersion: chosen });
      try {
        await this.client.connect();
      } catch (e) {
        throw connectStageFailure(e, undefined, `reconnecting for KMIP ${formatVersion(chosen)}: `)
          .failure;
      }
      again = ` (reconnected for it in ${(performance.now() - t0).toFixed(1)} ms)`;
    }
    return {
      value: chosen,
      detail: `KMIP ${formatVersion(chosen)}${again}; the key server speaks ${listed}`,
    };
  }

  private async query(version: ProtocolVersion): Promise<Done<ReturnType<typeof identityOf>>> {
    const { keyServer: ks } = this.t;
    const q = await this.client!.query([
      QueryFunction.QueryOperations,
      QueryFunction.QueryServerInformation,
    ]);
    const id = identityOf(q);
    const check = checkTypeRule(ks.type, id);
    if (!check.ok) {
      throw new StageFailure(check.message, {
        eventId: '086007',
        kmipMajor: version.major,
        kmipMinor: version.minor,
        reason: check.reason,
        vendorIdentification: id.vendorIdentification,
        productVersion: id.productVersion ?? '',
        serverType: id.serverType ?? '',
      });
    }
    if (ks.primary && id.serverType?.toLowerCase() === 'clone') {
      const message = `key server ${ks.name} is defined as the primary but reports ServerType=${id.serverType}`;
      throw new StageFailure(message, { eventId: '086009', serverType: id.serverType, message });
    }
    return {
      value: id,
      detail:
        `vendor ${JSON.stringify(id.vendorIdentification)}, product version ${id.productVersion ?? 'unknown'}, ` +
        `server type ${id.serverType ?? 'not reported'}, ${q.operations.length} operations`,
    };
  }

  private async checkKek(): Promise<Done<undefined>> {
    const kek = this.t.kek;
    if (kek === undefined) return done('no KEK defined yet');
    const r = await this.client!.get(kek.uid);
    const notAes = (why: string): StageFailure =>
      clientFailure(
        CLIENT_ERROR_CODES.notAes256,
        'not a 256-bit AES key',
        `KEK ${kek.uid}: not a 256-bit AES key (${why})`,
      );
    if (r.object.kind === 'Other') throw notAes(`object type ${r.object.objectType}`);
    const kb = r.object.keyBlock;
    if (
      kb.cryptographicAlgorithm !== undefined &&
      kb.cryptographicAlgorithm !== CryptographicAlgorithm.AES
    ) {
      throw notAes(`algorithm ${kb.cryptographicAlgorithm}`);
    }
    if (kb.keyMaterial.length !== 32)
      throw notAes(`${kb.keyMaterial.length} bytes of key material`);
    const kcv = kcvOf(kb.keyMaterial);
    if (kcv !== kek.kcv.toLowerCase()) {
      throw clientFailure(
        CLIENT_ERROR_CODES.kcvMismatch,
        'key check value mismatch',
        `KEK ${kek.uid}: key check value mismatch (expected ${kek.kcv.toLowerCase()}, the key server's key gives ${kcv})`,
      );
    }
    return done(`KEK ${kek.uid}: AES-256, key check value ${kcv} matches`);
  }
}

/** Validates one key server from one node. Never rejects: failures are in the outcome. */
export async function validateKeyServer(target: ValidationTarget): Promise<NodeValidation> {
  const startedAt = new Date();
  const run = new ValidationRun(target);
  let outcome: ValidationOutcome;
  try {
    outcome = await run.execute();
  } catch (e) {
    const f =
      e instanceof StageFailure ? e : clientFailure(CLIENT_ERROR_CODES.clientFailure, messageOf(e));
    const ks = target.keyServer;
    const failed = run.stages.find((s) => !s.ok)?.stage ?? 'validation';
    outcome = {
      ok: false,
      eventId: f.eventId,
      sense: f.sense,
      reason: `node ${target.node.name}, key server ${ks.name} (${ks.ip}:${ks.port}): ${failed} failed: ${f.message}`,
    };
  } finally {
    run.close();
  }
  return {
    nodeId: target.node.id,
    keyServerId: target.keyServer.id,
    startedAt,
    stages: run.stages,
    outcome,
  };
}
