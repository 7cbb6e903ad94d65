/**
 * KMIP over TLS (KMIP Profiles 1.4 §3.1): TLS 1.2 or later, client certificate required
 * and verified against the configured CA. The client identity is the certificate's single
 * CN; a certificate without the clientAuth extended key usage completes the handshake but
 * every request is answered Authentication Not Successful (PyKMIP behaves the same).
 * A malformed request gets Invalid Message; a stream that cannot be framed any more gets
 * Invalid Message and its connection closed; other connections are never affected.
 */
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ResultReason } from '../spec/index.ts';
import { TtlvFramer } from '../ttlv/index.ts';
import type { ClientContext, KmipServerCore } from './server-core.ts';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

export interface KmipTlsServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** CA certificates (PEM) that sign client certificates. */
  readonly ca: string | Buffer | readonly (string | Buffer)[];
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly core: KmipServerCore;
  /** Largest request accepted, bytes. Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Connections idle longer than this are closed, ms. Default 300 000. */
  readonly idleTimeoutMs?: number;
  /** TLS handshake time limit, ms. Default 10 000. */
  readonly handshakeTimeoutMs?: number;
  /** Simultaneous connections. Default 512. */
  readonly maxConnections?: number;
  readonly minTlsVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** OpenSSL cipher list. Default Node's (ECDHE-GCM first, the KMIP-mandatory AES-CBC-SHA256 included). */
  readonly ciphers?: string;
}

/** The identity a client certificate establishes, or why it establishes none. */
export function clientContext(socket: tls.TLSSocket): ClientContext {
  if (!socket.authorized) {
    return {
      identity: undefined,
      authFailure: `client certificate not verified: ${String(socket.authorizationError)}`,
    };
  }
  const cert = socket.getPeerCertificate();
  // Node types CN as string, but a subject with two CNs yields an array at run time.
  const cn: unknown = cert.subject.CN;
  if (typeof cn !== 'string' || cn.length === 0) {
    return {
      identity: undefined,
      authFailure: 'the client certificate must carry exactly one Common Name',
    };
  }
  const eku = cert.ext_key_usage;
  if (!eku?.includes(CLIENT_AUTH_OID)) {
    return {
      identity: undefined,
      authFailure:
        'Error verifying the client certificate: it lacks the clientAuth extended key usage',
    };
  }
  return { identity: cn };
}

export class KmipTlsServer {
  private readonly options: KmipTlsServerOptions;
  private readonly server: tls.Server;
  private readonly sockets = new Set<tls.TLSSocket>();

  constructor(options: KmipTlsServerOptions) {
    this.options = options;
    this.server = tls.createServer(
      {
        ca: options.ca as string | Buffer | (string | Buffer)[],
        cert: options.cert,
        key: options.key,
        requestCert: true,
        rejectUnauthorized: true,
        minVersion: options.minTlsVersion ?? 'TLSv1.2',
        handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
        ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
      },
      (socket) => {
        this.serve(socket);
      },
    );
    this.server.maxConnections = options.maxConnections ?? 512;
    // Handshake failures (no certificate, unknown CA, old TLS) are the client's problem.
    this.server.on('tlsClientError', () => undefined);
  }

  /** Starts listening; resolves with the bound address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.removeListener('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  private serve(socket: tls.TLSSocket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.setTimeout(this.options.idleTimeoutMs ?? 300_000, () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const context = clientContext(socket);
    const framer = new TtlvFramer(this.options.maxMessageBytes);
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (e) {
        // The stream cannot be framed any more: say why, then hang up on this client only.
        socket.end(
          this.options.core.messageFault(
            { major: 1, minor: 0 },
            ResultReason.InvalidMessage,
            `Error parsing request message: ${(e as Error).message}`,
          ),
        );
        return;
      }
      for (const m of messages) socket.write(this.options.core.handle(m, context));
    });
  }

  /** Stops accepting, closes every connection, resolves when the server is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
      for (const s of this.sockets) s.destroy();
    });
  }
}
