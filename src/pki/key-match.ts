/** Whether a certificate and a private key belong together (node:crypto only: cheap to load). */
import { createPrivateKey, createPublicKey, X509Certificate as NodeX509 } from 'node:crypto';

/** True when the certificate's public key belongs to the private key. */
export function certificateMatchesKey(certPem: string, keyPem: string): boolean {
  try {
    const pub = new NodeX509(certPem).publicKey.export({ type: 'spki', format: 'der' });
    const fromKey = createPublicKey(createPrivateKey(keyPem)).export({
      type: 'spki',
      format: 'der',
    });
    return Buffer.compare(pub, fromKey) === 0;
  } catch {
    return false;
  }
}
