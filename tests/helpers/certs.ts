// Throwaway test PKI made with the `openssl` CLI: a CA, server and client certificates
// (good, no-EKU and expired variants) and an unrelated second CA with its own client.
//
// All keys are RSA 2048: the PyKMIP 0.10 server only offers TLS 1.2 CBC suites that need an
// RSA server key (AES128-SHA256, AES256-SHA256, ECDHE-RSA-*), so EC server certificates fail
// the handshake with it. Client keys are RSA too, to stay on the path verified with PyKMIP.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  /** Absolute directory holding every file below. */
  dir: string;
  /** CA (CN=sekisho-test-ca) that signed the server and client certificates. */
  caCert: string;
  caKey: string;
  /** CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1, EKU serverAuth. */
  serverCert: string;
  serverKey: string;
  /** CN=sekisho-test-client, EKU clientAuth. */
  clientCert: string;
  clientKey: string;
  /** CN=sekisho-test-client-noeku, no extendedKeyUsage at all. */
  noEkuCert: string;
  noEkuKey: string;
  /** Like serverCert but valid only from 2020-01-01 to 2020-01-02 (expired). */
  expiredServerCert: string;
  expiredServerKey: string;
  /** An unrelated CA (CN=sekisho-other-ca), for "unknown CA" tests. */
  otherCaCert: string;
  /** CN=sekisho-test-client, EKU clientAuth, signed by the other CA. */
  otherClientCert: string;
  otherClientKey: string;
}

type PkiFiles = Omit<TestPki, 'dir'>;

const FILES: PkiFiles = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  serverCert: 'server.crt',
  serverKey: 'server.key',
  clientCert: 'client.crt',
  clientKey: 'client.key',
  noEkuCert: 'client-noeku.crt',
  noEkuKey: 'client-noeku.key',
  expiredServerCert: 'server-expired.crt',
  expiredServerKey: 'server-expired.key',
  otherCaCert: 'other-ca.crt',
  otherClientCert: 'other-client.crt',
  otherClientKey: 'other-client.key',
};

/** openssl(1) configuration: extension sections plus the minimum `openssl ca` needs. */
const OPENSSL_CNF = `
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[ server_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ client_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[ noeku_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

# Used only for the expired certificate: openssl 3.0's x509 -req has no -not_before /
# -not_after, but "openssl ca" takes -startdate / -enddate.
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = ./ca-index.txt
serial = ./ca-serial
new_certs_dir = ./ca-newcerts
certificate = ./ca.crt
private_key = ./ca.key
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ policy_any ]
commonName = supplied
`;

const DAYS = '3650';

/**
 * Make (or reuse) a throwaway PKI. With `dir` holding every file already, nothing is
 * generated. Without `dir`, a fresh `os.tmpdir()/sekisho-pki-XXXXXX` is used; the caller
 * owns it (delete it with fs.rmSync when done, or let the OS clean /tmp).
 */
export function makeTestPki(dir?: string): TestPki {
  const root = path.resolve(dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sekisho-pki-')));
  const pki = withPaths(root);
  if (isComplete(pki)) return pki;

  // Generate in a private sibling dir, then move it into place in one rename, so that two
  // processes asked for the same dir never mix files from two different CAs.
  fs.mkdirSync(path.dirname(root), { recursive: true });
  const tmp = fs.mkdtempSync(`${root}.tmp-`);
  try {
    generate(tmp);
    try {
      fs.renameSync(tmp, root); // replaces root when it is an empty directory
    } catch {
      if (!isComplete(pki)) {
        // root holds unrelated or partial files: overwrite ours in, file by file.
        fs.mkdirSync(root, { recursive: true, mode: 0o700 });
        for (const f of fs.readdirSync(tmp)) fs.renameSync(path.join(tmp, f), path.join(root, f));
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!isComplete(pki)) throw new Error(`makeTestPki: files missing in ${root}`);
  return pki;
}

/** Write every file of FILES (plus openssl.cnf and other-ca.key) into `root`. */
function generate(root: string): void {
  const openssl = (...args: string[]): void => {
    try {
      execFileSync('openssl', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
      throw new Error(`openssl ${args.join(' ')} failed: ${stderr || String(err)}`, {
        cause: err,
      });
    }
  };
  const cnf = path.join(root, 'openssl.cnf');
  fs.writeFileSync(cnf, OPENSSL_CNF);

  const selfSignedCa = (cn: string, cert: string, key: string): void => {
    // prettier-ignore
    openssl(
      'req', '-x509', '-new', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', DAYS,
      '-config', cnf, '-extensions', 'v3_ca', '-subj', `/CN=${cn}`,
      '-keyout', key, '-out', cert,
    );
  };
  const csr = (cn: string, key: string, out: string): void => {
    // prettier-ignore
    openssl(
      'req', '-new', '-newkey', 'rsa:2048', '-nodes', '-config', cnf, '-subj', `/CN=${cn}`,
      '-keyout', key, '-out', out,
    );
  };
  const leaf = (cn: string, ext: string, cert: string, key: string, ca: string, caKey: string) => {
    const req = `${cert}.csr`;
    csr(cn, key, req);
    // prettier-ignore
    openssl(
      'x509', '-req', '-in', req, '-CA', ca, '-CAkey', caKey,
      '-set_serial', `0x${randomBytes(12).toString('hex')}`, '-sha256', '-days', DAYS,
      '-extfile', cnf, '-extensions', ext, '-out', cert,
    );
    fs.rmSync(path.join(root, req));
  };
  const f = FILES;

  // Main CA and its leaves.
  selfSignedCa('sekisho-test-ca', f.caCert, f.caKey);
  leaf('localhost', 'server_ext', f.serverCert, f.serverKey, f.caCert, f.caKey);
  leaf('sekisho-test-client', 'client_ext', f.clientCert, f.clientKey, f.caCert, f.caKey);
  leaf('sekisho-test-client-noeku', 'noeku_ext', f.noEkuCert, f.noEkuKey, f.caCert, f.caKey);

  // Expired server certificate: `openssl ca` with explicit validity dates in the past.
  fs.writeFileSync(path.join(root, 'ca-index.txt'), '');
  fs.writeFileSync(path.join(root, 'ca-serial'), `${randomBytes(12).toString('hex')}\n`);
  fs.mkdirSync(path.join(root, 'ca-newcerts'));
  const expiredReq = `${f.expiredServerCert}.csr`;
  csr('localhost', f.expiredServerKey, expiredReq);
  // prettier-ignore
  openssl(
    'ca', '-batch', '-notext', '-config', cnf, '-extensions', 'server_ext',
    '-startdate', '20200101000000Z', '-enddate', '20200102000000Z',
    '-in', expiredReq, '-out', f.expiredServerCert,
  );
  for (const name of fs.readdirSync(root)) {
    if (name === expiredReq || name.startsWith('ca-')) {
      fs.rmSync(path.join(root, name), { recursive: true });
    }
  }

  // Unrelated CA and a client certificate it signed (same CN as the good client).
  const otherCaKey = 'other-ca.key';
  selfSignedCa('sekisho-other-ca', f.otherCaCert, otherCaKey);
  // prettier-ignore
  leaf('sekisho-test-client', 'client_ext', f.otherClientCert, f.otherClientKey, f.otherCaCert, otherCaKey);

  for (const [name, file] of Object.entries(FILES) as [keyof PkiFiles, string][]) {
    fs.chmodSync(path.join(root, file), name.endsWith('Key') ? 0o600 : 0o644);
  }
}

function withPaths(root: string): TestPki {
  const out: Record<string, string> = { dir: root };
  for (const [name, file] of Object.entries(FILES)) out[name] = path.join(root, file);
  return out as unknown as TestPki;
}

function isComplete(pki: TestPki): boolean {
  return (Object.keys(FILES) as (keyof PkiFiles)[]).every((k) => {
    try {
      return fs.statSync(pki[k]).size > 0;
    } catch {
      return false;
    }
  });
}
