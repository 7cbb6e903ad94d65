import 'reflect-metadata';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as x509 from '@peculiar/x509';
import fc from 'fast-check';
import {
  dnValue,
  issueCertificate,
  makeCa,
  type CertificateAuthority,
  type CertificateRequest,
} from '../../src/pki/certificates.ts';
import {
  describeCertificate,
  MAX_CERTIFICATE_BYTES,
  sameCertificate,
} from '../../src/pki/client-certificate.ts';
import { CertificateFormatError } from '../../src/pki/errors.ts';

let ca: CertificateAuthority;

before(async () => {
  ca = await makeCa('Test CA');
});

async function issue(req: Partial<CertificateRequest> = {}): Promise<string> {
  const { cert } = await issueCertificate(ca, { commonName: 'Alice', usage: 'client', ...req });
  return cert;
}

function der(pem: string): Uint8Array {
  return describeCertificate(pem).der;
}

/**
 * An independent, strict RFC 4514 §3 parser (string → [type, value] per attribute, most
 * specific first; `+` joins are flattened): escaping must make it give back what was issued.
 */
function parseDn(dn: string): [string, string][] {
  const out: [string, string][] = [];
  let i = 0;
  while (i < dn.length) {
    const eq = dn.indexOf('=', i);
    assert.ok(eq > i, `type at ${i} in ${dn}`);
    const type = dn.slice(i, eq);
    i = eq + 1;
    assert.ok(dn[i] !== '#' && dn[i] !== ' ', `unescaped leading "${dn[i]}" in ${dn}`);
    const bytes: number[] = [];
    let bareSpace = false;
    while (i < dn.length && dn[i] !== ',' && dn[i] !== '+') {
      bareSpace = false;
      if (dn[i] === '\\') {
        const pair = dn.slice(i + 1, i + 3);
        if (/^[0-9A-Fa-f]{2}$/.test(pair)) {
          bytes.push(parseInt(pair, 16));
          i += 3;
        } else {
          assert.ok(',+"\\<>;#= '.includes(dn[i + 1] ?? ''), `bad escape at ${i} in ${dn}`);
          bytes.push(...Buffer.from(dn[i + 1]!));
          i += 2;
        }
      } else {
        assert.ok(!'"<>;'.includes(dn[i]!), `unescaped ${dn[i]} in ${dn}`);
        const c = String.fromCodePoint(dn.codePointAt(i)!);
        bareSpace = c === ' ';
        bytes.push(...Buffer.from(c));
        i += c.length;
      }
    }
    assert.ok(!bareSpace, `unescaped trailing space in ${dn}`);
    out.push([type, new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes))]);
    if (i < dn.length) i++;
  }
  return out;
}

function rejects(input: Uint8Array | string, message: RegExp): void {
  assert.throws(
    () => describeCertificate(input),
    (e) => {
      assert.ok(e instanceof CertificateFormatError);
      assert.equal(e.code, 'PKI_CERTIFICATE_MALFORMED');
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('describeCertificate: fields of certificates issued by issueCertificate', () => {
  it('reads each mapping attribute of the subject, in certificate order', async () => {
    const f = describeCertificate(
      await issue({
        subjectAttributes: [
          { type: 'uid', value: 'alice' },
          { type: 'mail', value: 'alice@subject.example' },
          { type: 'serialNumber', value: 'S-0042' },
          { type: 'dnQualifier', value: 'dq1' },
          { type: 'employeeNumber', value: 'E 123' },
          { type: 'cn', value: 'Alice Liddell' },
          { type: 'ou', value: 'People' },
          { type: 'o', value: 'Example' },
        ],
      }),
    );
    assert.deepEqual(f.subject, {
      cn: ['Alice Liddell', 'Alice'],
      mail: ['alice@subject.example'],
      uid: ['alice'],
      serialNumber: ['S-0042'],
      dnQualifier: ['dq1'],
      employeeNumber: ['E 123'],
    });
    assert.equal(
      f.subjectDn,
      'CN=Alice,UID=alice,emailAddress=alice@subject.example,serialNumber=S-0042,' +
        'dnQualifier=dq1,2.16.840.1.113730.3.1.3=#13054520313233,CN=Alice Liddell,OU=People,O=Example',
    );
    assert.equal(f.issuerDn, 'CN=Test CA');
    assert.deepEqual(f.sanEmails, []);
  });

  it('gives empty lists for attributes the subject lacks', async () => {
    const f = describeCertificate(await issue());
    assert.deepEqual(f.subject, {
      cn: ['Alice'],
      mail: [],
      uid: [],
      serialNumber: [],
      dnQualifier: [],
      employeeNumber: [],
    });
    assert.equal(f.subjectDn, 'CN=Alice');
  });

  it('reads subjectAltName rfc822Name values and nothing else of the SAN', async () => {
    const f = describeCertificate(
      await issue({
        dns: ['alice.example'],
        ips: ['192.0.2.1'],
        emails: ['alice@san.example', 'Alice.Other@san.example'],
        subjectAttributes: [{ type: 'mail', value: 'alice@subject.example' }],
      }),
    );
    assert.deepEqual(f.sanEmails, ['alice@san.example', 'Alice.Other@san.example']);
    assert.deepEqual(f.subject.mail, ['alice@subject.example']);
    assert.deepEqual(describeCertificate(await issue({ dns: ['x.example'] })).sanEmails, []);
  });

  it('escapes hostile CN values so that they cannot fake an RDN boundary', async () => {
    const cases: [string, string][] = [
      ['a,CN=admin', 'CN=a\\,CN=admin,O=Example'],
      ['x"y', 'CN=x\\"y,O=Example'],
      ['#lead', 'CN=\\#lead,O=Example'],
      ['new\nline', 'CN=new\\0Aline,O=Example'],
      ['nul\0', 'CN=nul\\00,O=Example'],
      ['del\u007f c1\u0085', 'CN=del\\7F c1\\C2\\85,O=Example'],
      [' both ', 'CN=\\ both\\ ,O=Example'],
      ['a+b;c<d>e\\f=g', 'CN=a\\+b\\;c\\<d\\>e\\\\f=g,O=Example'],
      ['ünï 名前 🔑', 'CN=ünï 名前 🔑,O=Example'],
      ['mid # and  spaces', 'CN=mid # and  spaces,O=Example'],
    ];
    for (const [cn, dn] of cases) {
      const f = describeCertificate(
        await issue({ commonName: cn, subjectAttributes: [{ type: 'o', value: 'Example' }] }),
      );
      assert.equal(f.subjectDn, dn, JSON.stringify(cn));
      assert.deepEqual(f.subject.cn, [cn]);
      assert.deepEqual(parseDn(f.subjectDn), [
        ['CN', cn],
        ['O', 'Example'],
      ]);
    }
  });

  it('round-trips any value through the RFC 4514 string (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }).filter((s) => s.isWellFormed()),
        async (cn) => {
          const f = describeCertificate(
            await issue({ commonName: cn, subjectAttributes: [{ type: 'uid', value: cn }] }),
          );
          assert.deepEqual(parseDn(f.subjectDn), [
            ['CN', cn],
            ['UID', cn],
          ]);
          assert.deepEqual(f.subject.cn, [cn]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('formats the serial number in upper-case hex without sign padding', async () => {
    for (let i = 0; i < 20; i++) {
      const f = describeCertificate(await issue());
      assert.match(f.serialNumber, /^(?:[1-9A-F][0-9A-F]|0[1-9A-F])(?:[0-9A-F]{2})*$/);
    }
  });

  it('gives validity, fingerprint and DER', async () => {
    const notBefore = new Date('2025-01-01T00:00:00Z');
    const pem = await issue({ notBefore, days: 10 });
    const f = describeCertificate(pem);
    assert.deepEqual(f.notBefore, notBefore);
    assert.deepEqual(f.notAfter, new Date('2025-01-11T00:00:00Z'));
    assert.deepEqual(f.der, new Uint8Array(new x509.X509Certificate(pem).rawData));
    assert.equal(f.fingerprint256, createHash('sha256').update(f.der).digest('hex').toUpperCase());
    assert.deepEqual(describeCertificate(f.der), f);
    assert.deepEqual(describeCertificate(Buffer.from(pem)), f, 'PEM given as bytes');
    assert.deepEqual(describeCertificate(pem.replaceAll('\n', '\r\n')), f, 'CRLF PEM');
  });

  it('encodes a CN-only subject exactly as the former `CN=…` string did', async () => {
    for (const cn of ['localhost', 'sekisho-test-client', 'Sekisho CA', 'ünï', 'a,b', 'x_y*']) {
      const cert = new x509.X509Certificate(await issue({ commonName: cn }));
      const before = new x509.Name(`CN=${dnValue(cn)}`);
      assert.deepEqual(
        new Uint8Array(cert.subjectName.toArrayBuffer()),
        new Uint8Array(before.toArrayBuffer()),
        cn,
      );
    }
  });
});

describe('describeCertificate: refused input', () => {
  it('refuses garbage, empty input and non-certificates', async () => {
    rejects(new Uint8Array([1, 2, 3, 4]), /tag 0x01 where 0x30/);
    rejects(new Uint8Array(0), /empty input/);
    rejects(new Uint8Array([0x30, 0x00]), /tbsCertificate: missing/);
    rejects('hello', /PEM: no "-----BEGIN CERTIFICATE-----" line/);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=x',
      keys: ca.keys,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    rejects(new Uint8Array(csr.rawData), /validity: tag 0xA0 where 0x30/);
    rejects(csr.toString('pem'), /PEM: no "-----BEGIN CERTIFICATE-----" line/);
  });

  it('refuses truncated DER, trailing bytes and non-DER lengths', async () => {
    const d = der(await issue());
    rejects(d.subarray(0, d.length - 1), /truncated \(at byte 0\)/);
    rejects(d.subarray(0, 40), /truncated/);
    rejects(new Uint8Array([...d, 0]), /1 bytes after the certificate/);
    const indefinite = new Uint8Array([0x30, 0x80, ...d.subarray(4), 0, 0]);
    rejects(indefinite, /indefinite length/);
    const longForm = new Uint8Array([0x30, 0x83, 0x00, d[2]!, d[3]!, ...d.subarray(4)]);
    rejects(longForm, /non-minimal length/);
  });

  it('refuses a certificate OpenSSL cannot read although its outline is DER', () => {
    // A valid outline with a nonsense signature algorithm and key: OpenSSL has the last word.
    const seq = (...parts: number[][]): number[] => [0x30, parts.flat().length, ...parts.flat()];
    const name = [0x30, 0x0b, 0x31, 0x09, 0x30, 0x07, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x00];
    const tbs = seq([0x02, 0x01, 0x01], seq(), name, seq(), name, seq());
    rejects(new Uint8Array(seq(tbs, seq(), [0x03, 0x01, 0x00])), /not an X\.509 certificate/);
  });

  it('refuses duplicate extensions and a mapping attribute that is not a string', async () => {
    const craft = async (subject: x509.JsonName, extensions: x509.Extension[] = []) =>
      new Uint8Array(
        (
          await x509.X509CertificateGenerator.create({
            serialNumber: '01',
            subject: new x509.Name(subject),
            issuer: ca.certificate.subjectName,
            notBefore: new Date(),
            notAfter: new Date(Date.now() + 86400_000),
            publicKey: ca.keys.publicKey,
            signingKey: ca.keys.privateKey,
            signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
            extensions,
          })
        ).rawData,
      );
    const san = (email: string) =>
      new x509.SubjectAlternativeNameExtension([{ type: 'email', value: email }]);
    const good = await craft([{ CN: ['x'] }], [san('a@x.example')]);
    assert.deepEqual(describeCertificate(good).sanEmails, ['a@x.example']);
    const twice = await craft([{ CN: ['x'] }], [san('a@x.example'), san('b@x.example')]);
    rejects(twice, /extension 2\.5\.29\.17 appears twice/);
    // A SEQUENCE where a string belongs (OpenSSL refuses most other non-string values):
    // the DN shows it as #hex; as a mapping attribute it is refused.
    const sequenceUid = await craft([{ CN: ['x'] }, { '0.9.2342.19200300.100.1.1': ['#3000'] }]);
    rejects(sequenceUid, /subject uid: not a string/);
    const sequenceO = await craft([{ O: ['#3000'] }, { CN: ['x'] }]);
    assert.equal(describeCertificate(sequenceO).subjectDn, 'CN=x,O=#3000');
  });

  it('refuses PEM with junk around or inside it', async () => {
    const pem = await issue();
    rejects(`junk\n${pem}`, /text before the certificate block/);
    rejects(`${pem}junk\n`, /text after the certificate block/);
    rejects(pem + pem, /text after the certificate block/);
    rejects(pem.replace(/\n[A-Za-z0-9+/]/, '\n!'), /not base64/);
    rejects(pem.replace('-----END CERTIFICATE-----', ''), /no "-----END CERTIFICATE-----" line/);
    rejects(pem.replaceAll('CERTIFICATE', 'X509 CERTIFICATE'), /no "-----BEGIN CERTIFICATE-----"/);
    const body = pem.split('\n').slice(1, -2).join('');
    const cut = body.slice(0, 40);
    rejects(`-----BEGIN CERTIFICATE-----\n${cut}\n-----END CERTIFICATE-----\n`, /truncated/);
    // "MA==" is 0x30; in "MB==" a spare bit is set: Buffer reads the same byte from both.
    rejects(`-----BEGIN CERTIFICATE-----\nMB==\n-----END CERTIFICATE-----\n`, /not canonical/);
  });

  it('refuses input over 64 KiB before reading it', () => {
    rejects(
      new Uint8Array(MAX_CERTIFICATE_BYTES + 1).fill(0x30),
      /65537 bytes, more than the 65536/,
    );
    rejects('A'.repeat(MAX_CERTIFICATE_BYTES + 1), /more than the 65536 allowed/);
    rejects('é'.repeat(40_000), /80000 bytes, more than the 65536 allowed/);
  });
});

describe('sameCertificate', () => {
  it('compares DER byte for byte, any lengths', async () => {
    const a = der(await issue());
    const b = der(await issue());
    assert.equal(sameCertificate(a, new Uint8Array(a)), true);
    assert.equal(sameCertificate(a, b), false);
    assert.equal(sameCertificate(a, a.subarray(0, a.length - 1)), false);
    const flipped = new Uint8Array(a);
    flipped[flipped.length - 1]! ^= 1;
    assert.equal(sameCertificate(a, flipped), false);
    assert.equal(sameCertificate(new Uint8Array(0), new Uint8Array(0)), true);
  });
});

describe('describeCertificate agrees with the openssl CLI', () => {
  let dir: string;
  const openssl = (...args: string[]): string =>
    execFileSync('openssl', args, {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const printed = (file: string, what: '-subject' | '-issuer'): string =>
    openssl('x509', '-in', file, '-noout', what, '-nameopt', 'RFC2253,-esc_msb')
      .replace(/^(subject|issuer)=/, '')
      .replace(/\n$/, '');
  const read = (file: string) => describeCertificate(fs.readFileSync(path.join(dir, file), 'utf8'));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sekisho-client-cert-'));
    fs.writeFileSync(
      path.join(dir, 'openssl.cnf'),
      [
        'oid_section = new_oids',
        '[ new_oids ]',
        'employeeNumber = 2.16.840.1.113730.3.1.3',
        '[ req ]',
        'distinguished_name = dn',
        '[ dn ]',
        '[ leaf ]',
        'basicConstraints = CA:FALSE',
        'subjectAltName = email:alice@san.example,DNS:alice.example,email:alice2@san.example',
        '',
      ].join('\n'),
    );
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    const req = [
      'req',
      '-config',
      'openssl.cnf',
      '-x509',
      '-utf8',
      '-multivalue-rdn',
      '-days',
      '2',
    ];
    openssl(
      ...req,
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-set_serial',
      '1',
      '-subj',
      '/C=JP/O=Example, Inc./OU=SSO+OU=Keys/CN=Example "Test" CA',
    );
    openssl(
      ...req,
      ...ec,
      '-keyout',
      'leaf.key',
      '-out',
      'leaf.crt',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-set_serial',
      '0x0A1B',
      '-extensions',
      'leaf',
      '-subj',
      '/DC=com/DC=example/O=Ex+OU=People/UID=alice/emailAddress=alice@example.com' +
        '/serialNumber=S42/dnQualifier=dq/employeeNumber=E123/CN=Alice <admin>; #1 ünï ',
    );
    for (const [name, serial] of [
      ['zero', '0'],
      ['padded', '0xFF'],
      ['negative', '-5'],
    ]) {
      openssl(
        'req',
        '-config',
        'openssl.cnf',
        '-x509',
        ...ec,
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-set_serial',
        serial!,
        '-days',
        '1',
        '-subj',
        `/CN=${name}`,
      );
    }
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('prints the same RFC 4514 subject and issuer for multi-RDN names', () => {
    const f = read('leaf.crt');
    assert.equal(f.subjectDn, printed('leaf.crt', '-subject'));
    assert.equal(f.issuerDn, printed('leaf.crt', '-issuer'));
    assert.equal(f.issuerDn, 'CN=Example \\"Test\\" CA,OU=Keys+OU=SSO,O=Example\\, Inc.,C=JP');
    assert.equal(
      f.subjectDn,
      'CN=Alice \\<admin\\>\\; #1 ünï\\ ,2.16.840.1.113730.3.1.3=#0C0445313233,dnQualifier=dq,' +
        'serialNumber=S42,emailAddress=alice@example.com,UID=alice,OU=People+O=Ex,DC=example,DC=com',
    );
    assert.equal(read('ca.crt').subjectDn, printed('ca.crt', '-subject'));
  });

  it('reads the mapping attributes and SAN e-mails openssl wrote', () => {
    const f = read('leaf.crt');
    assert.deepEqual(f.subject, {
      cn: ['Alice <admin>; #1 ünï '],
      mail: ['alice@example.com'],
      uid: ['alice'],
      serialNumber: ['S42'],
      dnQualifier: ['dq'],
      employeeNumber: ['E123'],
    });
    assert.deepEqual(f.sanEmails, ['alice@san.example', 'alice2@san.example']);
    const fp = openssl('x509', '-in', 'leaf.crt', '-noout', '-fingerprint', '-sha256');
    assert.equal(f.fingerprint256, fp.replace(/^.*=/, '').replaceAll(':', '').trim());
  });

  it('formats serial numbers as openssl does, zero as 0', () => {
    const serial = (file: string): string =>
      openssl('x509', '-in', file, '-noout', '-serial')
        .replace(/^serial=/, '')
        .trim();
    assert.equal(read('leaf.crt').serialNumber, '0A1B');
    assert.equal(read('leaf.crt').serialNumber, serial('leaf.crt'));
    assert.equal(read('padded.crt').serialNumber, 'FF');
    assert.equal(read('padded.crt').serialNumber, serial('padded.crt'));
    assert.equal(read('negative.crt').serialNumber, '-05');
    assert.equal(read('zero.crt').serialNumber, '0');
  });

  it('prints what openssl prints for hostile names issued here', async () => {
    const cert = await issue({
      commonName: ' a,CN=admin\n"x"+#y ',
      subjectAttributes: [
        { type: 'uid', value: 'ünï=b' },
        { type: 'ou', value: '\\;<>' },
      ],
    });
    fs.writeFileSync(path.join(dir, 'hostile.crt'), cert);
    assert.equal(describeCertificate(cert).subjectDn, printed('hostile.crt', '-subject'));
  });
});
