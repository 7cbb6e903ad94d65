/**
 * One TLS connection to a KMIP server (KMIP Profiles 1.4 §3.1: TLS 1.2 or later, mutual
 * authentication, port 5696). Requests are sent one at a time and answered in order; the
 * framer bounds what a peer can make us buffer. Failures say where they happened:
 * `stage` 'tcp', 'tls' or 'request'.
 */
import net from 'node:net';
import tls from 'node:tls';
import { KmipError, type KmipErrorCode } from '../errors.ts';
import { TtlvFramer } from '../ttlv/index.ts';

export type TransportStage = 'tcp' | 'tls' | 'request';

/** A transport failure, with the stage it happened in and the low-level cause. */
export class KmipTransportError extends KmipError {
  readonly stage: TransportStage;
  /** OpenSSL or system error code of the cause, e.g. ECONNREFUSED, CERT_HAS_EXPIRED. */
  readonly causeCode?: string;
  constructor(code: KmipErrorCode, stage: TransportStage, message: string, cause?: unknown) {
    super(code, message, { cause });
    this.name = 'KmipTransportError';
    this.stage = stage;
    const c = (cause as { code?: unknown } | undefined)?.code;
    if (typeof c === 'string') this.causeCode = c;
  }
}

export interface KmipTransportOptions {
  /** Host name or IP address of the server. */
  readonly host: string;
  /** TCP port; KMIP's IANA port is 5696. */
  readonly port: number;
  /** CA certificates (PEM) that may sign the server's certificate. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Client certificate (PEM) presented to the server. */
  readonly cert?: string | Buffer;
  /** Private key (PEM) of the client certificate. */
  readonly key?: string | Buffer;
  /** Name checked against the server certificate; default `host` (IP addresses are checked as such). */
  readonly servername?: string;
  /** Lowest TLS version; KMIP forbids anything below 1.2. Default 'TLSv1.2'. */
  readonly minTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list; default Node's, which includes the KMIP-mandatory AES-CBC-SHA256 suites. */
  readonly ciphers?: string;
  /**
   * Replaces the host-name check of the server certificate (node's `tls.checkServerIdentity`):
   * e.g. when the server's own certificate is pinned as the only trust anchor.
   */
  readonly checkServerIdentity?: (host: string, cert: tls.PeerCertificate) => Error | undefined;
  /** Source address of the connection (a cluster node's service address). */
  readonly localAddress?: string;
  /** TCP plus TLS handshake time limit, ms. Default 10 000. */
  readonly connectTimeoutMs?: number;
  /** Time limit for each response, ms. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Largest accepted response, bytes. Default 1 MiB. */
  readonly maxMessageBytes?: number;
}

export interface TlsDetails {
  readonly protocol: string | null;
  readonly cipher: string;
  /** Milliseconds from the start of the connect to TCP established. */
  readonly tcpMs: number;
  /** Milliseconds from TCP established to the TLS handshake completed. */
  readonly tlsMs: number;
  /** The server's certificate chain as node reports it (leaf first); read on first use. */
  readonly peerCertificate: tls.DetailedPeerCertificate | undefined;
}

interface Pending {
  resolve(msg: Buffer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** True once any byte of the response arrived. */
  started: boolean;
}

export class KmipConnection {
  private readonly socket: tls.TLSSocket;
  private readonly framer: TtlvFramer;
  private readonly requestTimeoutMs: number;
  private pending: Pending | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closedError: KmipTransportError | undefined;
  /** Requests answered on this connection. */
  requestsServed = 0;
  readonly details: TlsDetails;

  private constructor(
    socket: tls.TLSSocket,
    options: KmipTransportOptions,
    timing: { tcpMs: number; tlsMs: number },
  ) {
    this.socket = socket;
    this.framer = new TtlvFramer(options.maxMessageBytes);
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    let peer: tls.DetailedPeerCertificate | undefined;
    this.details = {
      protocol: socket.getProtocol(),
      cipher: socket.getCipher().name,
      ...timing,
      // Decoding the chain costs a fraction of a millisecond; only validation reads it.
      get peerCertificate() {
        peer ??= socket.getPeerCertificate(true);
        return peer;
      },
    };
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
    socket.on('error', (err: Error & { code?: string }) => {
      // In TLS 1.3 the server checks our certificate after our handshake has completed: its
      // refusal arrives as an alert on the first request. It is still a TLS failure.
      this.fail(
        err.code?.startsWith('ERR_SSL_')
          ? new KmipTransportError('KMIP_TLS_FAILED', 'tls', `TLS failure: ${err.message}`, err)
          : new KmipTransportError(
              'KMIP_CONNECTION_CLOSED',
              'request',
              `connection error: ${err.message}`,
              err,
            ),
      );
    });
    socket.on('close', () => {
      this.fail(
        new KmipTransportError(
          'KMIP_CONNECTION_CLOSED',
          'request',
          'the server closed the connection',
        ),
      );
    });
  }

  /** Opens a TCP connection and completes the TLS handshake, verifying the server. */
  static connect(options: KmipTransportOptions): Promise<KmipConnection> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    const minVersion = options.minTlsVersion ?? 'TLSv1.2';
    return new Promise((resolve, reject) => {
      let tcpUp = false;
      let done = false;
      const t0 = performance.now();
      let tTcp = t0;
      const servername = options.servername ?? (net.isIP(options.host) ? undefined : options.host);
      const socket = tls.connect({
        host: options.host,
        port: options.port,
        ...(options.ca === undefined
          ? {}
          : { ca: options.ca as string | Buffer | (string | Buffer)[] }),
        ...(options.cert === undefined ? {} : { cert: options.cert }),
        ...(options.key === undefined ? {} : { key: options.key }),
        ...(servername === undefined ? {} : { servername }),
        ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
        ...(options.checkServerIdentity === undefined
          ? {}
          : { checkServerIdentity: options.checkServerIdentity }),
        minVersion,
        rejectUnauthorized: true,
        // A pinned certificate issued by an untrusted CA is a trust anchor of its own.
        allowPartialTrustChain: true,
      });
      const finish = (err: KmipTransportError | undefined): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        socket.removeListener('error', onError);
        if (err) {
          socket.destroy();
          reject(err);
        } else {
          socket.setNoDelay(true);
          resolve(
            new KmipConnection(socket, options, {
              tcpMs: tTcp - t0,
              tlsMs: performance.now() - tTcp,
            }),
          );
        }
      };
      const onError = (err: Error & { code?: string }): void => {
        finish(
          tcpUp
            ? new KmipTransportError(
                'KMIP_TLS_FAILED',
                'tls',
                `TLS handshake failed: ${err.message}`,
                err,
              )
            : new KmipTransportError(
                'KMIP_CONNECT_FAILED',
                'tcp',
                `cannot connect to ${options.host}:${options.port}: ${err.message}`,
                err,
              ),
        );
      };
      const timer = setTimeout(() => {
        finish(
          new KmipTransportError(
            'KMIP_CONNECT_TIMEOUT',
            tcpUp ? 'tls' : 'tcp',
            tcpUp
              ? `TLS handshake with ${options.host}:${options.port} did not complete within ${timeoutMs} ms`
              : `TCP connection to ${options.host}:${options.port} did not complete within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      socket.once('connect', () => {
        tcpUp = true;
        tTcp = performance.now();
      });
      socket.on('error', onError);
      socket.once('secureConnect', () => {
        finish(undefined);
      });
    });
  }

  /** False once the connection failed or was closed. */
  get open(): boolean {
    return this.closedError === undefined;
  }

  /**
   * Sends one encoded request and resolves with the encoded response. Requests queue
   * behind each other. A timeout destroys the connection: the stream position is lost.
   */
  roundTrip(request: Uint8Array): Promise<Buffer> {
    const run = (): Promise<Buffer> =>
      new Promise<Buffer>((resolve, reject) => {
        if (this.closedError) {
          reject(this.closedError);
          return;
        }
        const timer = setTimeout(() => {
          this.fail(
            new KmipTransportError(
              'KMIP_REQUEST_TIMEOUT',
              'request',
              `no response within ${this.requestTimeoutMs} ms`,
            ),
          );
        }, this.requestTimeoutMs);
        this.pending = { resolve, reject, timer, started: false };
        this.socket.write(request);
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** True when the last failure happened before any response byte arrived for a request. */
  failedBeforeResponse = false;

  private onData(chunk: Buffer): void {
    if (this.pending) this.pending.started = true;
    let messages: Buffer[];
    try {
      messages = this.framer.push(chunk);
    } catch (e) {
      this.fail(
        new KmipTransportError(
          'KMIP_PROTOCOL_ERROR',
          'request',
          `malformed response stream: ${(e as Error).message}`,
          e,
        ),
      );
      return;
    }
    for (const msg of messages) {
      const p = this.pending;
      if (!p) {
        this.fail(
          new KmipTransportError(
            'KMIP_PROTOCOL_ERROR',
            'request',
            'the server sent a message nobody asked for',
          ),
        );
        return;
      }
      this.pending = undefined;
      clearTimeout(p.timer);
      this.requestsServed++;
      p.resolve(msg);
    }
  }

  private fail(err: KmipTransportError): void {
    if (!this.closedError) this.closedError = err;
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      clearTimeout(p.timer);
      this.failedBeforeResponse = !p.started;
      p.reject(err);
    }
    this.socket.destroy();
  }

  /** Closes the connection; a request in flight fails with KMIP_CLIENT_CLOSED. */
  close(): void {
    this.fail(new KmipTransportError('KMIP_CLIENT_CLOSED', 'request', 'the connection was closed'));
  }
}
