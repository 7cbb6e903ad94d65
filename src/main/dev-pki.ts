/**
 * The private PKI of `sekisho start`: a CA, the HTTPS server certificate (localhost,
 * 127.0.0.1, ::1) and a client certificate (for `sekisho kmip query` and development KMIP
 * servers), made once in DATA_DIR/pki/ and reused on later starts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface DevPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

/** Where the files of the development PKI live. */
export function devPkiPaths(dataDir: string): DevPki {
  const dir = path.join(dataDir, 'pki');
  return {
    dir,
    caCert: path.join(dir, 'ca.crt'),
    serverCert: path.join(dir, 'server.crt'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'kmip-client.crt'),
    clientKey: path.join(dir, 'kmip-client.key'),
  };
}

export async function ensureDevPki(dataDir: string): Promise<DevPki> {
  const p = devPkiPaths(dataDir);
  const dir = p.dir;
  if ([p.caCert, p.serverCert, p.serverKey, p.clientCert, p.clientKey].every((f) => existsSync(f)))
    return p;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Loaded only when certificates are made: the toolkit costs several MB of memory.
  const { issueCertificate, loadCa, makeCa } = await import('../pki/certificates.ts');
  const caKeyPath = path.join(dir, 'ca.key');
  const ca =
    existsSync(p.caCert) && existsSync(caKeyPath)
      ? await loadCa(readFileSync(p.caCert, 'utf8'), readFileSync(caKeyPath, 'utf8'))
      : await makeCa('Sekisho development CA');
  writeFileSync(p.caCert, ca.cert);
  writeFileSync(caKeyPath, ca.key, { mode: 0o600 });
  const server = await issueCertificate(ca, {
    commonName: 'localhost',
    dns: ['localhost'],
    ips: ['127.0.0.1', '::1'],
    usage: 'server',
  });
  writeFileSync(p.serverCert, server.cert);
  writeFileSync(p.serverKey, server.key, { mode: 0o600 });
  const client = await issueCertificate(ca, { commonName: 'sekisho-dev-client', usage: 'client' });
  writeFileSync(p.clientCert, client.cert);
  writeFileSync(p.clientKey, client.key, { mode: 0o600 });
  return p;
}
