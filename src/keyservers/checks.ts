/** Input checks of the key-server commands: each rejects with a KeyServerError naming the rule. */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { KeyServerError } from './errors.ts';

/** IPv4, IPv6 (zero-compressed allowed) or an RFC 1123 DNS name. */
export function checkAddress(text: string): string {
  const t = text.trim();
  if (net.isIP(t)) return t;
  const labels = t.replace(/\.$/, '').split('.');
  const ok =
    t.length > 0 &&
    t.length <= 253 &&
    !/^[\d.]+$/.test(t) &&
    labels.every((l) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
  if (!ok) {
    throw new KeyServerError(
      'KEYSERVER_INVALID_ADDRESS',
      `-ip ${JSON.stringify(text)} is not an IPv4 address, an IPv6 address or a DNS name`,
    );
  }
  return t;
}

export function checkPort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new KeyServerError(
      'KEYSERVER_INVALID_PORT',
      `-port ${JSON.stringify(text)} is not a port number 1-65535`,
    );
  }
  return Number(text);
}

/** Object names: a letter, then letters, digits, '_', '-' or '.'; at most 63 characters. */
export function checkName(text: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,62}$/.test(text)) {
    throw new KeyServerError(
      'KEYSERVER_INVALID_NAME',
      `-name ${JSON.stringify(text)} must start with a letter and hold at most 63 letters, digits, '_', '-' or '.'`,
    );
  }
  if (/^\d+$/.test(text))
    throw new KeyServerError('KEYSERVER_INVALID_NAME', 'a name cannot be all digits');
  return text;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks PEM text holding one or more certificates, each valid now. Returns the normalized
 * PEM (certificates only, one after the other).
 */
export function checkCertificatePem(pem: string, what: string, now: Date = new Date()): string {
  if (pem.length > 256 * 1024)
    throw new KeyServerError('KEYSERVER_INVALID_CERTIFICATE', `${what} is larger than 256 KiB`);
  const blocks = pem.match(PEM_CERT);
  if (!blocks)
    throw new KeyServerError('KEYSERVER_INVALID_CERTIFICATE', `${what} is not a PEM certificate`);
  for (const b of blocks) {
    let c: X509Certificate;
    try {
      c = new X509Certificate(b);
    } catch (e) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_CERTIFICATE',
        `${what} holds a malformed certificate: ${(e as Error).message}`,
      );
    }
    if (new Date(c.validTo) < now) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_CERTIFICATE',
        `${what} expired on ${new Date(c.validTo).toISOString()} (${c.subject.replace(/\n/g, ', ')})`,
      );
    }
    if (new Date(c.validFrom) > now) {
      throw new KeyServerError(
        'KEYSERVER_INVALID_CERTIFICATE',
        `${what} is not valid before ${new Date(c.validFrom).toISOString()}`,
      );
    }
  }
  return blocks.join('\n') + '\n';
}

/** ISKLM device group: a letter then letters and digits, at most 16 (keyserver-ibm.md Q5). */
export function checkDeviceGroup(text: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]{0,15}$/.test(text)) {
    throw new KeyServerError(
      'KEYSERVER_INVALID_PARAMETER',
      `-devicegroup ${JSON.stringify(text)} must be a letter followed by at most 15 letters or digits`,
    );
  }
  return text;
}
