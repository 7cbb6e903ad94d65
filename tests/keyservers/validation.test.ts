// Key-server validation (src/keyservers/validation.ts) against real KMIP servers on loopback:
// `sekisho kmip-server` processes with several identities, a PyKMIP 0.10 server, a TCP
// listener that never answers, a closed port. Every case checks the outcome, the failing stage,
// the event ID and the decoded sense data, and that the stages before it passed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  CryptographicAlgorithm,
  KmipClient,
  ResultReason,
  ResultStatus,
  makeIdentity,
} from '../../src/kmip/index.ts';
import type { QueryResult } from '../../src/kmip/index.ts';
import {
  CONNECTION_STAGE_CODES,
  SENSE_BYTES as SENSE_LENGTH,
  decodeSense,
  encodeSense,
  utf8Prefix,
} from '../../src/events/index.ts';
import type {
  ConnectionSense,
  KmipErrorSense,
  PrimarySense,
  SenseData as SenseFields,
  VendorSense,
} from '../../src/events/index.ts';
import {
  TYPE_RULES,
  checkTypeRule,
  compareProductVersions,
  identityOf,
} from '../../src/keyservers/type-rules.ts';
import { STAGES } from '../../src/keyservers/types.ts';
import type {
  ClusterNode,
  NodeValidation,
  StageCode,
  ValidationTarget,
} from '../../src/keyservers/types.ts';
import {
  CLIENT_ERROR_CODES,
  deriveStatus,
  kcvOf,
  validateAll,
  validateKeyServer,
} from '../../src/keyservers/validation.ts';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import { startKmipServerProcess } from '../helpers/kmip-process.ts';
import type { KmipServerProcess } from '../helpers/kmip-process.ts';
import { freePort } from '../helpers/ports.ts';
import { startPyKmipServer } from '../helpers/pykmip-server.ts';
import type { PyKmipServer } from '../helpers/pykmip-server.ts';
import { clientOptions, pem } from '../kmip-net/net-helpers.ts';

const ANY_NODE: ClusterNode = { id: 'n1', name: 'node1', ipv4: 'any', ipv6: 'any' };

// ---------------------------------------------------------------- pure parts, no network

describe('sense layout', () => {
  test('every event encodes to 128 bytes and decodes back', () => {
    const cases: SenseFields[] = [
      {
        eventId: '086006',
        clientErrorCode: 1,
        resultStatus: 1,
        resultReason: 0x100,
        resultMessage: 'key check value mismatch',
      },
      {
        eventId: '086007',
        kmipMajor: 1,
        kmipMinor: 2,
        reason: 1,
        vendorIdentification: 'IBM Security Key Lifecycle Manager 4.1.1.0',
        productVersion: '4.1.1.0',
        serverType: 'master',
      },
      { eventId: '086008', stageCode: 4, causeCode: 'CERT_HAS_EXPIRED', message: 'expired' },
      { eventId: '086009', serverType: 'clone', message: 'defined as primary' },
    ];
    for (const c of cases) {
      const b = encodeSense(c);
      assert.equal(b.length, SENSE_LENGTH);
      assert.deepEqual(decodeSense(c.eventId, b), c);
    }
  });

  test('byte positions are big-endian and fields NUL padded', () => {
    const b = encodeSense({
      eventId: '086006',
      clientErrorCode: 0x01020304,
      resultStatus: 1,
      resultReason: 3,
      resultMessage: 'ab',
    });
    assert.deepEqual([...b.subarray(0, 14)], [1, 2, 3, 4, 0, 0, 0, 1, 0, 0, 0, 3, 0x61, 0x62]);
    assert.ok(b.subarray(14).every((x) => x === 0));
    const v = encodeSense({
      eventId: '086007',
      kmipMajor: 1,
      kmipMinor: 2,
      reason: 3,
      vendorIdentification: 'V',
      productVersion: 'P',
      serverType: 'S',
    });
    assert.deepEqual([...v.subarray(0, 9)], [0, 1, 0, 2, 0, 0, 0, 3, 0x56]);
    assert.equal(v[64], 0x50);
    assert.equal(v[96], 0x53);
    const c = encodeSense({ eventId: '086008', stageCode: 5, causeCode: 'X', message: 'M' });
    assert.deepEqual([...c.subarray(0, 9)], [0, 0, 0, 5, 0, 0, 0, 0, 0x58]);
    assert.equal(c[40], 0x4d);
    const p = encodeSense({ eventId: '086009', serverType: 'clone', message: 'M' });
    assert.equal(Buffer.from(p.subarray(0, 5)).toString(), 'clone');
    assert.equal(p[32], 0x4d);
  });

  test('text is cut on a UTF-8 character boundary', () => {
    // 'é' is 2 bytes: 16 of them fill 32 bytes exactly.
    assert.equal(utf8Prefix('é'.repeat(31), 32).length, 32);
    // 'aé' is 3 bytes: the 11th 'é' would straddle byte 32, so it is left out.
    assert.equal(utf8Prefix('aé'.repeat(11), 32).length, 31);
    // 'a' then 3-byte kanji: 31 bytes hold 10 of them.
    assert.equal(utf8Prefix('a' + '鍵'.repeat(20), 32).length, 31);
    const s = encodeSense({ eventId: '086009', serverType: 'a' + '鍵'.repeat(20), message: '' });
    assert.equal(decodeSense('086009', s).eventId, '086009');
    assert.equal((decodeSense('086009', s) as PrimarySense).serverType, 'a' + '鍵'.repeat(10));
    const long = encodeSense({
      eventId: '086006',
      clientErrorCode: 0,
      resultStatus: 1,
      resultReason: 1,
      resultMessage: '検証'.repeat(100),
    });
    assert.equal(long.length, 128);
    const m = (decodeSense('086006', long) as KmipErrorSense).resultMessage;
    assert.equal(m, '検証'.repeat(19)); // 116 bytes hold 38 characters of 3 bytes
  });

  test('out-of-range numbers and wrong lengths are refused', () => {
    assert.throws(
      () =>
        encodeSense({
          eventId: '086006',
          clientErrorCode: -1,
          resultStatus: 0,
          resultReason: 0,
          resultMessage: '',
        }),
      RangeError,
    );
    assert.throws(() => decodeSense('086008', new Uint8Array(127)), RangeError);
  });
});

describe('type rules', () => {
  const q = (vendor: string | undefined, info: string[] = []): QueryResult => {
    const id = makeIdentity({ profile: 'generic', vendorIdentification: vendor ?? 'x' });
    const infoStruct = info.length
      ? {
          tag: 0x420088,
          type: 'Structure' as const,
          value: info.map((t) => ({ tag: 0x540001, type: 'TextString' as const, value: t })),
        }
      : undefined;
    return {
      operations: [],
      objectTypes: [],
      ...(vendor === undefined ? {} : { vendorIdentification: id.vendorIdentification }),
      ...(infoStruct === undefined ? {} : { serverInformation: infoStruct }),
      applicationNamespaces: [],
      extensionInformation: [],
      other: [],
    };
  };

  test('product version: Server Information Version= first, else the vendor text', () => {
    assert.deepEqual(
      identityOf(q('IBM Security Key Lifecycle Manager', ['Version=4.1.1.0', 'ServerType=clone'])),
      {
        vendorIdentification: 'IBM Security Key Lifecycle Manager',
        productVersion: '4.1.1.0',
        serverType: 'clone',
      },
    );
    assert.deepEqual(identityOf(q('PyKMIP 0.10.0 Software Server')), {
      vendorIdentification: 'PyKMIP 0.10.0 Software Server',
      productVersion: '0.10.0',
      serverType: undefined,
    });
    assert.equal(identityOf(q(undefined)).vendorIdentification, '');
  });

  test('versions compare numerically part by part', () => {
    assert.equal(compareProductVersions('2.10.0.0', '2.9.9.9'), 1);
    assert.equal(compareProductVersions('2.6', '2.6.0.0'), 0);
    assert.equal(compareProductVersions('2.5.0.9', '2.6.0.0'), -1);
  });

  test('allow-list per type', () => {
    const id = (vendor: string, productVersion?: string) => ({
      vendorIdentification: vendor,
      productVersion,
      serverType: undefined,
    });
    for (const v of [
      'IBM Security Key Lifecycle Manager',
      'IBM Guardium Key Lifecycle Manager',
      'ibm security key lifecycle manager',
      'IBM SKLM',
      'GKLM server',
      'ISKLM',
    ]) {
      assert.deepEqual(checkTypeRule('isklm', id(v, '4.2.0.0')), { ok: true }, v);
    }
    assert.equal(checkTypeRule('isklm', id('IBM SKLM', '2.5.0.9')).ok, false);
    assert.equal(checkTypeRule('isklm', id('IBM SKLM', undefined)).ok, false);
    assert.deepEqual(checkTypeRule('isklm', id('Thales CipherTrust', '2.14')), {
      ok: false,
      reason: 2,
      message: 'vendor "Thales CipherTrust" is not a supported isklm key server',
    });
    for (const v of ['CipherTrust Manager', 'Thales', 'Gemalto', 'SafeNet KeySecure']) {
      assert.deepEqual(checkTypeRule('ciphertrustmanager', id(v)), { ok: true }, v);
    }
    assert.equal(checkTypeRule('ciphertrustmanager', id('PyKMIP 0.10.0')).ok, false);
    assert.deepEqual(checkTypeRule('kmip', id('anything at all')), { ok: true });
    assert.equal(TYPE_RULES.isklm.minProductVersion, '2.6.0.0');
    assert.equal(TYPE_RULES.kmip.minKmip, '1.3');
  });
});

describe('kcvOf and deriveStatus', () => {
  test('KCV of the all-zero AES-256 key is dc95c0 (FIPS-197 known answer)', () => {
    assert.equal(kcvOf(new Uint8Array(32)), 'dc95c0');
    assert.throws(() => kcvOf(new Uint8Array(16)), RangeError);
  });

  test('status: all nodes ok → online, some → degraded, none → offline', () => {
    const r = (ok: boolean): NodeValidation => ({
      nodeId: 'n',
      keyServerId: 0,
      startedAt: new Date(),
      stages: [],
      outcome: ok
        ? {
            ok: true,
            protocolVersion: '1.4',
            vendorIdentification: 'v',
            serverType: undefined,
            productVersion: undefined,
          }
        : { ok: false, eventId: '086008', sense: new Uint8Array(128), reason: 'x' },
    });
    assert.equal(deriveStatus([r(true), r(true)]), 'online');
    assert.equal(deriveStatus([r(true), r(false)]), 'degraded');
    assert.equal(deriveStatus([r(false), r(false)]), 'offline');
    assert.equal(deriveStatus([]), 'offline');
  });
});

// ---------------------------------------------------------------- against real servers

/** A self-signed key-server certificate naming only DNS:keyserver.example, valid 20 days. */
function selfSignedServerCert(pki: TestPki): { cert: string; key: string } {
  const cert = path.join(pki.dir, 'selfsigned-server.crt');
  const key = path.join(pki.dir, 'selfsigned-server.key');
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '20',
    '-config', path.join(pki.dir, 'openssl.cnf'), '-subj', '/CN=keyserver.example',
    '-addext', 'subjectAltName=DNS:keyserver.example',
    '-addext', 'extendedKeyUsage=serverAuth',
    '-keyout', key, '-out', cert,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { cert, key };
}

interface Servers {
  master: KmipServerProcess;
  clone: KmipServerProcess;
  oldIsklm: KmipServerProcess;
  kmip12: KmipServerProcess;
  kmip13: KmipServerProcess;
  expired: KmipServerProcess;
  selfSigned: KmipServerProcess;
  generic: KmipServerProcess;
  v6: KmipServerProcess;
  py: PyKmipServer;
}

describe('validateKeyServer against real servers', () => {
  let pki: TestPki;
  let s: Servers;
  let selfSignedPem: string;
  const stoppers: (() => Promise<unknown>)[] = [];
  let silent: net.Server | undefined;
  const tlsPeers: tls.Server[] = [];
  let mute: tls.Server;
  let junk: tls.Server;
  let pkiDir: string | undefined;
  const silentPeers: string[] = [];
  const silentSockets = new Set<net.Socket>();

  before(async () => {
    pki = makeTestPki();
    pkiDir = pki.dir;
    const ss = selfSignedServerCert(pki);
    selfSignedPem = pem(ss.cert);
    const ours = (args: string[], over: Partial<TestPki> = {}, host?: string) =>
      startKmipServerProcess({
        pki: { ...pki, ...over },
        args,
        ...(host === undefined ? {} : { host }),
      }).then((p) => {
        stoppers.push(() => p.stop());
        return p;
      });
    const started = await Promise.allSettled([
      ours(['--profile', 'isklm', '--server-type', 'master']),
      ours(['--profile', 'isklm', '--server-type', 'clone']),
      ours(['--profile', 'isklm', '--isklm-version', '2.5.0.0']),
      ours(['--max-version', '1.2']),
      ours([], { serverCert: pki.expiredServerCert, serverKey: pki.expiredServerKey }),
      ours(['--profile', 'isklm'], { serverCert: ss.cert, serverKey: ss.key }),
      ours([]),
      ours(['--profile', 'isklm'], {}, '::1'),
      ours(['--max-version', '1.3']),
      startPyKmipServer({ pki }).then((p) => {
        stoppers.push(() => p.stop());
        return p;
      }),
    ]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const v = started.map((r) => (r as PromiseFulfilledResult<unknown>).value);
    s = {
      master: v[0] as KmipServerProcess,
      clone: v[1] as KmipServerProcess,
      oldIsklm: v[2] as KmipServerProcess,
      kmip12: v[3] as KmipServerProcess,
      expired: v[4] as KmipServerProcess,
      selfSigned: v[5] as KmipServerProcess,
      generic: v[6] as KmipServerProcess,
      v6: v[7] as KmipServerProcess,
      kmip13: v[8] as KmipServerProcess,
      py: v[9] as PyKmipServer,
    };
    // TLS servers with the PKI's server certificate that complete the handshake and then
    // never answer (mute) or answer garbage (junk).
    const tlsPeer = async (onData: (sock: tls.TLSSocket) => void): Promise<tls.Server> => {
      const server = tls.createServer(
        {
          cert: pem(pki.serverCert),
          key: pem(pki.serverKey),
          ca: pem(pki.caCert),
          requestCert: true,
          rejectUnauthorized: true,
        },
        (sock) => {
          silentSockets.add(sock);
          sock.on('error', () => undefined);
          sock.on('close', () => silentSockets.delete(sock));
          sock.once('data', () => {
            onData(sock);
          });
        },
      );
      tlsPeers.push(server);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      return server;
    };
    mute = await tlsPeer(() => undefined);
    junk = await tlsPeer((sock) => {
      sock.write('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    });
    // Accepts TCP connections and never says a word.
    const listener = net.createServer((sock) => {
      silentPeers.push(sock.remoteAddress ?? '');
      silentSockets.add(sock);
      sock.on('error', () => undefined);
      sock.on('close', () => silentSockets.delete(sock));
    });
    silent = listener;
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const sock of silentSockets) sock.destroy();
    for (const l of [silent, ...tlsPeers]) {
      if (l === undefined) continue;
      await new Promise<void>((resolve) => {
        l.close(() => {
          resolve();
        });
      });
    }
    const stopped = await Promise.allSettled(stoppers.map((f) => f()));
    if (pkiDir !== undefined) fs.rmSync(pkiDir, { recursive: true, force: true });
    const bad = stopped.find((r) => r.status === 'rejected');
    if (bad) throw bad.reason;
  });

  interface Over {
    ip?: string;
    type?: ValidationTarget['keyServer']['type'];
    primary?: boolean;
    certPem?: string | undefined;
    caCertPem?: string | undefined;
    node?: ClusterNode;
    cert?: string;
    key?: string;
    kek?: ValidationTarget['kek'];
    timeoutMs?: number;
    now?: Date;
  }

  function target(port: number, o: Over = {}): ValidationTarget {
    const type = o.type ?? 'isklm';
    const ca = 'caCertPem' in o ? o.caCertPem : pem(pki.caCert);
    return {
      keyServer: {
        id: 1,
        name: 'keyserver1',
        ip: o.ip ?? '127.0.0.1',
        port,
        type,
        primary: o.primary ?? true,
        certPem: o.certPem,
      },
      typeConfig: { type, enabled: true, ...(ca === undefined ? {} : { caCertPem: ca }) },
      node: o.node ?? ANY_NODE,
      systemCert: { certPem: pem(o.cert ?? pki.clientCert), keyPem: pem(o.key ?? pki.clientKey) },
      kek: o.kek,
      ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
      ...(o.now === undefined ? {} : { now: o.now }),
    };
  }

  function assertOk(v: NodeValidation) {
    assert.deepEqual(
      v.stages.map((x) => [x.stage, x.ok]),
      STAGES.map((x) => [x, true]),
      JSON.stringify(v, null, 1),
    );
    for (const st of v.stages) {
      assert.ok(st.durationMs >= 0 && Number.isFinite(st.durationMs));
      assert.equal(typeof st.detail, 'string');
      assert.ok(st.detail.length > 0 && !st.detail.includes('\n'));
    }
    assert.equal(v.nodeId, 'n1');
    assert.equal(v.keyServerId, 1);
    assert.ok(v.startedAt instanceof Date);
    if (!v.outcome.ok) assert.fail(v.outcome.reason);
    return v.outcome;
  }

  /** Asserts a failure at `stage` with `eventId`; returns the decoded sense data. */
  function assertFailed(v: NodeValidation, stage: StageCode, eventId: '086006'): KmipErrorSense;
  function assertFailed(v: NodeValidation, stage: StageCode, eventId: '086007'): VendorSense;
  function assertFailed(v: NodeValidation, stage: StageCode, eventId: '086008'): ConnectionSense;
  function assertFailed(v: NodeValidation, stage: StageCode, eventId: '086009'): PrimarySense;
  function assertFailed(v: NodeValidation, stage: StageCode, eventId: string): SenseFields {
    const at = STAGES.indexOf(stage);
    const dump = JSON.stringify({ ...v, outcome: { ...v.outcome, sense: undefined } }, null, 1);
    assert.deepEqual(
      v.stages.map((x) => [x.stage, x.ok]),
      STAGES.slice(0, at + 1).map((x, i) => [x, i < at]),
      dump,
    );
    for (const st of v.stages) assert.ok(st.durationMs >= 0 && Number.isFinite(st.durationMs));
    if (v.outcome.ok) assert.fail(`expected a failure at ${stage}\n${dump}`);
    assert.equal(v.outcome.eventId, eventId, dump);
    assert.equal(v.outcome.sense.length, SENSE_LENGTH);
    assert.ok(v.outcome.reason.includes(`${stage} failed`), v.outcome.reason);
    assert.ok(!v.outcome.reason.includes('\n'));
    return decodeSense(v.outcome.eventId, v.outcome.sense);
  }

  const stageCode = (st: keyof typeof CONNECTION_STAGE_CODES) => CONNECTION_STAGE_CODES[st];

  describe('trust and TLS', () => {
    test('ISKLM master under type isklm, verified by the type CA → ok', async () => {
      const v = await validateKeyServer(target(s.master.port));
      const o = assertOk(v);
      assert.deepEqual(o, {
        ok: true,
        protocolVersion: '1.4',
        vendorIdentification: 'IBM Security Key Lifecycle Manager 4.1.1.0',
        serverType: 'master',
        productVersion: '4.1.1.0',
      });
      const tlsStage = v.stages.find((x) => x.stage === 'tls')!;
      assert.match(tlsStage.detail, /^TLSv1\.[23] \S+, server verified by the type CA/);
      assert.equal(v.stages.find((x) => x.stage === 'dns')!.detail, 'IP literal: no lookup');
      assert.equal(v.stages.find((x) => x.stage === 'kek')!.detail, 'no KEK defined yet');
      assert.equal(v.stages.find((x) => x.stage === 'certificates')!.warnings, undefined);
    });

    test('pinned self-signed key-server certificate without the IP in its SAN → ok, with expiry warnings', async () => {
      const v = await validateKeyServer(
        target(s.selfSigned.port, { certPem: selfSignedPem, caCertPem: undefined }),
      );
      assertOk(v);
      assert.match(v.stages.find((x) => x.stage === 'tls')!.detail, /pinned/);
      const certs = v.stages.find((x) => x.stage === 'certificates')!;
      // Presented and pinned: both expire within 30 days.
      assert.equal(certs.warnings?.length, 2, JSON.stringify(certs));
      assert.match(certs.warnings[0] ?? '', /CN=keyserver\.example.* expires in 19 days/);
    });

    test('pinned certificate plus type CA: a CA-signed server still passes the host-name check', async () => {
      const v = await validateKeyServer(target(s.master.port, { certPem: selfSignedPem }));
      assertOk(v);
      assert.match(v.stages.find((x) => x.stage === 'tls')!.detail, /type CA/);
    });

    test('self-signed server certificate verified only by the type CA → 086008 tls', async () => {
      const v = await validateKeyServer(target(s.selfSigned.port));
      const sense = assertFailed(v, 'tls', '086008');
      assert.equal(sense.stageCode, stageCode('tls'));
      assert.match(sense.causeCode, /SELF_SIGNED/);
    });

    test('a pinned certificate other than the one presented, no CA → 086008 tls', async () => {
      const v = await validateKeyServer(
        target(s.master.port, { certPem: selfSignedPem, caCertPem: undefined }),
      );
      const sense = assertFailed(v, 'tls', '086008');
      assert.equal(sense.stageCode, 4);
      assert.match(sense.causeCode, /SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    });

    test('pinning a CA-issued key-server certificate is enough without its CA', async () => {
      // The pinned certificate is a trust anchor of its own (allowPartialTrustChain).
      const v = await validateKeyServer(
        target(s.master.port, { certPem: pem(pki.serverCert), caCertPem: undefined }),
      );
      assert.equal(v.outcome.ok, true, JSON.stringify(v.stages));
      assert.match(v.stages.find((x) => x.stage === 'tls')!.detail, /pinned/);
    });

    test('a pinned certificate other than the one presented fails even with a trusted chain', async () => {
      const v = await validateKeyServer(
        target(s.master.port, { certPem: pem(pki.otherClientCert), caCertPem: undefined }),
      );
      assertFailed(v, 'tls', '086008');
    });

    test('neither a pinned certificate nor a type CA → tcp ok, 086008 tls NO_TRUST_ANCHOR', async () => {
      const v = await validateKeyServer(
        target(s.master.port, { certPem: undefined, caCertPem: undefined }),
      );
      const sense = assertFailed(v, 'tls', '086008');
      assert.deepEqual(
        { stageCode: sense.stageCode, causeCode: sense.causeCode },
        { stageCode: 4, causeCode: 'NO_TRUST_ANCHOR' },
      );
      assert.match(sense.message, /nothing to verify key server keyserver1/);
    });

    test('server with an expired certificate → 086008 tls CERT_HAS_EXPIRED (refused by the handshake, before the certificates stage)', async () => {
      const v = await validateKeyServer(target(s.expired.port, { type: 'kmip' }));
      const sense = assertFailed(v, 'tls', '086008');
      assert.equal(sense.stageCode, 4);
      assert.equal(sense.causeCode, 'CERT_HAS_EXPIRED');
      assert.match(sense.message, /certificate has expired/);
    });

    test('certificates stage: dates checked against target.now on both sides', async () => {
      const late = await validateKeyServer(
        target(s.master.port, { now: new Date('2040-01-01T00:00:00Z') }),
      );
      const a = assertFailed(late, 'certificates', '086008');
      assert.equal(a.stageCode, stageCode('certificates'));
      assert.equal(a.causeCode, 'CERT_HAS_EXPIRED');
      assert.match(a.message, /system certificate .*sekisho-test-client.* expired/);
      const early = await validateKeyServer(
        target(s.master.port, { now: new Date('2001-01-01T00:00:00Z') }),
      );
      const b = assertFailed(early, 'certificates', '086008');
      assert.equal(b.causeCode, 'CERT_NOT_YET_VALID');
      // The system certificate expires within 30 days of `now`: ok, with a warning.
      const sysEnd = new (await import('node:crypto')).X509Certificate(pem(pki.clientCert))
        .validToDate;
      const soon = await validateKeyServer(
        target(s.master.port, { now: new Date(sysEnd.getTime() - 5 * 86_400_000) }),
      );
      assertOk(soon);
      const w = soon.stages.find((x) => x.stage === 'certificates')!.warnings ?? [];
      assert.ok(
        w.some((x) => /system certificate .* expires in [45] days/.test(x)),
        JSON.stringify(w),
      );
    });
  });

  describe('role, vendor and versions', () => {
    test('clone defined as primary → 086009; the same clone as secondary → ok', async () => {
      const v = await validateKeyServer(target(s.clone.port, { primary: true }));
      const sense = assertFailed(v, 'query', '086009');
      assert.equal(sense.serverType, 'clone');
      assert.match(
        sense.message,
        /keyserver1 is defined as the primary but reports ServerType=clone/,
      );
      const secondary = await validateKeyServer(target(s.clone.port, { primary: false }));
      assert.equal(assertOk(secondary).serverType, 'clone');
    });

    test('ISKLM 2.5.0.0 → 086007 reason 3', async () => {
      const v = await validateKeyServer(target(s.oldIsklm.port));
      const sense = assertFailed(v, 'query', '086007');
      assert.deepEqual(sense, {
        eventId: '086007',
        kmipMajor: 1,
        kmipMinor: 4,
        reason: 3,
        vendorIdentification: 'IBM Security Key Lifecycle Manager 2.5.0.0',
        productVersion: '2.5.0.0',
        serverType: 'master',
      });
    });

    test('server speaking at most KMIP 1.2 → 086007 reason 1 with 1.2 in the sense data', async () => {
      const v = await validateKeyServer(target(s.kmip12.port, { type: 'kmip' }));
      const sense = assertFailed(v, 'discover_versions', '086007');
      assert.equal(sense.reason, 1);
      assert.deepEqual([sense.kmipMajor, sense.kmipMinor], [1, 2]);
      assert.match(v.stages.at(-1)!.detail, /speaks 1\.2, 1\.1, 1\.0/);
    });

    test('server speaking at most KMIP 1.3 → ok at 1.3 (client re-created for that version)', async () => {
      const v = await validateKeyServer(target(s.kmip13.port, { type: 'kmip' }));
      assert.equal(assertOk(v).protocolVersion, '1.3');
      assert.match(
        v.stages.find((x) => x.stage === 'discover_versions')!.detail,
        /^KMIP 1\.3 \(reconnected for it in [\d.]+ ms\); the key server speaks 1\.3, 1\.2/,
      );
    });

    test('PyKMIP under type kmip → ok', async () => {
      const v = await validateKeyServer(target(s.py.port, { type: 'kmip' }));
      assert.deepEqual(assertOk(v), {
        ok: true,
        protocolVersion: '1.4',
        vendorIdentification: 'PyKMIP 0.10.0 Software Server',
        serverType: undefined,
        productVersion: '0.10.0',
      });
      assert.match(v.stages.find((x) => x.stage === 'tls')!.detail, /^TLSv1\.2 /);
    });

    test('PyKMIP under type isklm → 086007 reason 2', async () => {
      const v = await validateKeyServer(target(s.py.port, { type: 'isklm' }));
      const sense = assertFailed(v, 'query', '086007');
      assert.equal(sense.reason, 2);
      assert.equal(sense.vendorIdentification, 'PyKMIP 0.10.0 Software Server');
      assert.equal(sense.productVersion, '0.10.0');
      assert.deepEqual([sense.kmipMajor, sense.kmipMinor], [1, 4]);
    });

    test('PyKMIP refusing a system certificate without EKU clientAuth → 086006 AuthenticationNotSuccessful', async () => {
      const v = await validateKeyServer(
        target(s.py.port, { type: 'kmip', cert: pki.noEkuCert, key: pki.noEkuKey }),
      );
      const sense = assertFailed(v, 'discover_versions', '086006');
      assert.equal(sense.clientErrorCode, 0);
      assert.equal(sense.resultStatus, ResultStatus.OperationFailed);
      assert.equal(sense.resultReason, ResultReason.AuthenticationNotSuccessful);
      assert.match(sense.resultMessage, /client certificate/);
      // The certificates stage saw it coming.
      const certs = v.stages.find((x) => x.stage === 'certificates')!;
      assert.ok(certs.ok);
      assert.match(certs.warnings?.[0] ?? '', /no extended key usage/);
    });
  });

  describe('network', () => {
    test('our server refusing a system certificate from another CA → 086008 tls at the first request', async () => {
      const v = await validateKeyServer(
        target(s.master.port, { cert: pki.otherClientCert, key: pki.otherClientKey }),
      );
      // TLS 1.3: the client completes its handshake before the server checks the client
      // certificate; the server then hangs up, and the first KMIP request sees it.
      const sense = assertFailed(v, 'discover_versions', '086008');
      assert.equal(sense.stageCode, stageCode('tls'));
      assert.match(sense.causeCode, /^(KMIP_CONNECTION_CLOSED|ECONNRESET|ERR_SSL_\w+)$/);
      assert.match(v.stages.at(-1)!.detail, /system certificate|alert/);
    });

    test('a TLS peer that never answers KMIP → 086006 client code 4 (request timeout)', async () => {
      const port = (mute.address() as net.AddressInfo).port;
      const v = await validateKeyServer(target(port, { timeoutMs: 500 }));
      const sense = assertFailed(v, 'discover_versions', '086006');
      assert.equal(sense.clientErrorCode, CLIENT_ERROR_CODES.requestTimeout);
      assert.equal(sense.clientErrorCode, 4);
      assert.deepEqual([sense.resultStatus, sense.resultReason], [0, 0]);
      assert.match(sense.resultMessage, /no response within 500 ms/);
    });

    test('a TLS peer answering garbage → 086006 client code 3 (malformed response)', async () => {
      const port = (junk.address() as net.AddressInfo).port;
      const v = await validateKeyServer(target(port));
      const sense = assertFailed(v, 'discover_versions', '086006');
      assert.equal(sense.clientErrorCode, CLIENT_ERROR_CODES.malformedResponse);
      assert.equal(sense.clientErrorCode, 3);
    });

    test('closed port → 086008 tcp ECONNREFUSED', async () => {
      const port = await freePort();
      const v = await validateKeyServer(target(port));
      const sense = assertFailed(v, 'tcp', '086008');
      assert.equal(sense.stageCode, stageCode('tcp'));
      assert.equal(sense.causeCode, 'ECONNREFUSED');
    });

    test('a listener that never answers → 086008 tls timeout (timeoutMs 500), from the bound service address', async () => {
      const port = (silent!.address() as net.AddressInfo).port;
      const node: ClusterNode = { id: 'n1', name: 'node1', ipv4: '127.0.0.2', ipv6: undefined };
      const t0 = performance.now();
      const v = await validateKeyServer(target(port, { timeoutMs: 500, node }));
      assert.ok(performance.now() - t0 < 5_000);
      const sense = assertFailed(v, 'tls', '086008');
      assert.equal(sense.stageCode, stageCode('tls'));
      assert.equal(sense.causeCode, 'KMIP_CONNECT_TIMEOUT');
      assert.match(sense.message, /did not complete within 500 ms/);
      assert.ok(silentPeers.includes('127.0.0.2'), JSON.stringify(silentPeers));
      assert.match(v.stages[0]!.detail, /IPv4 service address of node node1: 127\.0\.0\.2/);
    });

    test('IPv6 key server from a node without an IPv6 service address → 086008 service_ip', async () => {
      const node: ClusterNode = { id: 'n1', name: 'node1', ipv4: 'any', ipv6: undefined };
      const v = await validateKeyServer(target(s.v6.port, { ip: '::1', node }));
      const sense = assertFailed(v, 'service_ip', '086008');
      assert.equal(sense.stageCode, stageCode('service_ip'));
      assert.equal(sense.causeCode, 'NO_IPV6_SERVICE_IP');
      assert.equal(sense.message, 'node node1 has no IPv6 service address');
    });

    test('IPv6 key server from a node with IPv6 → ok', async () => {
      const node: ClusterNode = { id: 'n1', name: 'node1', ipv4: undefined, ipv6: '::1' };
      assertOk(await validateKeyServer(target(s.v6.port, { ip: '::1', node })));
    });

    test('explicit IPv4 service address 127.0.0.1 → ok; an address the host does not have → 086008 tcp', async () => {
      const node: ClusterNode = { id: 'n1', name: 'node1', ipv4: '127.0.0.1', ipv6: undefined };
      const v = await validateKeyServer(target(s.master.port, { node }));
      assertOk(v);
      assert.match(v.stages[2]!.detail, /from 127\.0\.0\.1/);
      const foreign: ClusterNode = { ...node, ipv4: '198.51.100.7' };
      const bad = await validateKeyServer(target(s.master.port, { node: foreign }));
      const sense = assertFailed(bad, 'tcp', '086008');
      assert.equal(sense.causeCode, 'EADDRNOTAVAIL');
    });

    test('DNS name localhost resolves and validates (host name checked against the SAN)', async () => {
      const v = await validateKeyServer(target(s.master.port, { ip: 'localhost' }));
      assertOk(v);
      assert.match(v.stages[1]!.detail, /^localhost → .*127\.0\.0\.1/);
    });

    test('DNS name resolving only to a family the node lacks → 086008 service_ip', async () => {
      const node: ClusterNode = { id: 'n1', name: 'node1', ipv4: undefined, ipv6: 'any' };
      const v = await validateKeyServer(target(s.master.port, { ip: 'localhost', node }));
      const answers = await (await import('node:dns')).promises.lookup('localhost', { all: true });
      if (answers.some((a) => a.family === 6)) {
        // This host maps localhost to ::1 too: the IPv6 answer is used (and refused: the
        // server listens on 127.0.0.1 only).
        assert.equal(v.outcome.ok, false);
        return;
      }
      const sense = assertFailed(v, 'service_ip', '086008');
      assert.equal(sense.causeCode, 'NO_IPV4_SERVICE_IP');
      assert.match(sense.message, /localhost resolves to 127\.0\.0\.1; node node1 has no IPv4/);
    });

    test('no-such-host.invalid → 086008 dns', async () => {
      const v = await validateKeyServer(target(s.master.port, { ip: 'no-such-host.invalid' }));
      const sense = assertFailed(v, 'dns', '086008');
      assert.equal(sense.stageCode, stageCode('dns'));
      assert.match(sense.causeCode, /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|ETIMEOUT)$/);
    });
  });

  describe('KEK check', () => {
    let uid: string;
    let kcv: string;
    let shortUid: string;

    before(async () => {
      const client = new KmipClient(clientOptions(pki, s.generic.port));
      try {
        uid = await client.createSymmetricKey({
          algorithm: CryptographicAlgorithm.AES,
          length: 256,
          usageMask: 12,
        });
        const got = await client.get(uid);
        assert.equal(got.object.kind, 'SymmetricKey');
        kcv = kcvOf(got.object.keyBlock.keyMaterial);
        shortUid = await client.createSymmetricKey({
          algorithm: CryptographicAlgorithm.AES,
          length: 128,
          usageMask: 12,
        });
      } finally {
        client.close();
      }
    });

    test('the right KEK → ok', async () => {
      const v = await validateKeyServer(
        target(s.generic.port, { type: 'kmip', kek: { uid, kcv: kcv.toUpperCase() } }),
      );
      assertOk(v);
      assert.match(v.stages.at(-1)!.detail, new RegExp(`key check value ${kcv} matches`));
    });

    test('a wrong key check value → 086006 client code 1', async () => {
      const wrong = kcv === '000000' ? '000001' : '000000';
      const v = await validateKeyServer(
        target(s.generic.port, { type: 'kmip', kek: { uid, kcv: wrong } }),
      );
      const sense = assertFailed(v, 'kek', '086006');
      assert.deepEqual(sense, {
        eventId: '086006',
        clientErrorCode: CLIENT_ERROR_CODES.kcvMismatch,
        resultStatus: 0,
        resultReason: 0,
        resultMessage: 'key check value mismatch',
      });
      assert.equal(CLIENT_ERROR_CODES.kcvMismatch, 1);
    });

    test('an AES-128 key → 086006 client code 2', async () => {
      const v = await validateKeyServer(
        target(s.generic.port, { type: 'kmip', kek: { uid: shortUid, kcv } }),
      );
      const sense = assertFailed(v, 'kek', '086006');
      assert.equal(sense.clientErrorCode, 2);
      assert.equal(sense.resultMessage, 'not a 256-bit AES key');
    });

    test('an unknown unique identifier → 086006 ItemNotFound', async () => {
      const v = await validateKeyServer(
        target(s.generic.port, { type: 'kmip', kek: { uid: 'no-such-uid-4711', kcv } }),
      );
      const sense = assertFailed(v, 'kek', '086006');
      assert.equal(sense.clientErrorCode, 0);
      assert.equal(sense.resultStatus, ResultStatus.OperationFailed);
      assert.equal(sense.resultReason, ResultReason.ItemNotFound);
      assert.ok(sense.resultMessage.length > 0);
    });
  });

  test('validateAll over four key servers runs them together and keeps the order', async () => {
    const closed = await freePort();
    const results = await validateAll([
      target(s.master.port),
      target(s.clone.port, { primary: true }),
      target(s.py.port, { type: 'kmip', primary: false }),
      target(closed, { primary: false }),
    ]);
    assert.equal(results.length, 4);
    assert.equal(assertOk(results[0]!).serverType, 'master');
    assert.equal(assertFailed(results[1]!, 'query', '086009').serverType, 'clone');
    assert.equal(assertOk(results[2]!).vendorIdentification, 'PyKMIP 0.10.0 Software Server');
    assert.equal(assertFailed(results[3]!, 'tcp', '086008').causeCode, 'ECONNREFUSED');
    assert.equal(deriveStatus(results), 'degraded');
  });
});
