/**
 * How the cluster opens a KMIP connection to a key server: the system certificate as client
 * identity, trust in the key server's own certificate (pinned, -sslcert) and/or the type's CA
 * certificate, and the node's service address as the source address.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { KmipClient, type KmipClientOptions } from '../kmip/index.ts';
import type { ClusterNode, KeyServer, KeyServerTypeConfig } from './types.ts';
import type { SystemCertificate } from './ports.ts';

/** Default time limit of each network step, ms. */
export const DEFAULT_KEYSERVER_TIMEOUT_MS = 10_000;

/**
 * The source address for `ip` from `node`: its service address of that family, `undefined`
 * for "let the system choose", or `null` when the node has no address of that family.
 */
export function sourceAddress(node: ClusterNode, family: 4 | 6): string | undefined | null {
  const a = family === 4 ? node.ipv4 : node.ipv6;
  if (a === undefined) return null;
  return a === 'any' ? undefined : a;
}

function samePem(a: string, b: string): boolean {
  try {
    return new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;
  } catch {
    return false;
  }
}

/** Whether the presented leaf is one of the pinned certificates. */
export function isPinned(cert: PeerCertificate, pinnedPem: string): boolean {
  const der = cert.raw;
  const presented = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
  const blocks =
    pinnedPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.some((b) => samePem(b, presented));
}

export interface ClientOptionsInput {
  readonly keyServer: Pick<KeyServer, 'ip' | 'port' | 'certPem'>;
  readonly typeConfig: KeyServerTypeConfig;
  readonly systemCert: Pick<SystemCertificate, 'certPem' | 'keyPem'>;
  /** Resolved address to connect to (defaults to keyServer.ip). */
  readonly address?: string;
  readonly localAddress?: string | undefined;
  readonly timeoutMs?: number;
}

/**
 * The KMIP credential a key-server type sends in every request header: CipherTrust Manager
 * authenticates KMIP clients by user name and password besides their certificate.
 */
export function credentialFor(
  typeConfig: KeyServerTypeConfig,
): { authentication: { username: string; password?: string } } | Record<string, never> {
  if (typeConfig.type !== 'ciphertrustmanager' || typeConfig.username === undefined) return {};
  return {
    authentication: {
      username: typeConfig.username,
      ...(typeConfig.password === undefined ? {} : { password: typeConfig.password }),
    },
  };
}

/**
 * KMIP client options for a key server. With a pinned certificate (-sslcert) the presented
 * leaf must equal it, whatever its names (key servers' own certificates rarely carry their
 * IP address); with only the type's CA the usual host-name or IP check applies.
 */
export function clientOptionsFor(input: ClientOptionsInput): KmipClientOptions {
  const ks = input.keyServer;
  const pinned = ks.certPem;
  const ca = [pinned, input.typeConfig.caCertPem].filter((x): x is string => x !== undefined);
  const timeout = input.timeoutMs ?? DEFAULT_KEYSERVER_TIMEOUT_MS;
  const host = input.address ?? ks.ip;
  return {
    host,
    port: ks.port,
    ca,
    cert: input.systemCert.certPem,
    key: input.systemCert.keyPem,
    ...(net.isIP(ks.ip) ? {} : { servername: ks.ip }),
    ...(input.localAddress === undefined ? {} : { localAddress: input.localAddress }),
    ...(pinned === undefined
      ? {}
      : {
          checkServerIdentity: (name: string, cert: PeerCertificate): Error | undefined => {
            if (isPinned(cert, pinned)) return undefined;
            // Not the pinned certificate: acceptable only as signed by the type's CA, for
            // the name dialled.
            if (input.typeConfig.caCertPem !== undefined) return checkServerIdentity(name, cert);
            return new Error(
              'the server presented a certificate other than the one defined with -sslcert',
            );
          },
        }),
    connectTimeoutMs: timeout,
    requestTimeoutMs: timeout,
    minProtocolVersion: { major: 1, minor: 3 },
    maxProtocolVersion: { major: 1, minor: 4 },
    ...credentialFor(input.typeConfig),
  };
}

export function clientFor(input: ClientOptionsInput): KmipClient {
  return new KmipClient(clientOptionsFor(input));
}
