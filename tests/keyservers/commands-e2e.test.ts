// Issue 3's proof, end to end through the product's own surfaces: `sekisho start`, the
// IBM-style commands (`npx sekisho COMMAND`, which reach the running start over HTTPS),
// against real KMIP servers on loopback: Sekisho's kmip-server in its ISKLM profiles,
// PyKMIP 0.10, a closed port, a silent peer and an expired server certificate.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTestPki, type TestPki } from '../helpers/certs.ts';
import {
  runSekisho,
  SEKISHO_BIN,
  startKmipServerProcess,
  type KmipServerProcess,
} from '../helpers/kmip-process.ts';
import { startPyKmipServer, type PyKmipServer } from '../helpers/pykmip-server.ts';
import { freePort } from '../helpers/ports.ts';

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-ks-e2e-'));
let pki: TestPki;
let start: { child: ChildProcessWithoutNullStreams; out: () => string } | undefined;
const servers: KmipServerProcess[] = [];
let pykmip: PyKmipServer | undefined;
const sockets: net.Server[] = [];

/** Runs `sekisho ARGS --data-dir DIR`; returns code and output. */
async function sk(
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runSekisho([...args, '--data-dir', dataDir], { timeoutMs: 60_000 });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function ok(...args: string[]): Promise<string> {
  const r = await sk(...args);
  assert.equal(r.code, 0, `sekisho ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

type KsColumn = 'id' | 'name' | 'status' | 'IP_address' | 'port' | 'type' | 'primary' | 'cert_set';
type EvColumn =
  | 'sequence_number' | 'last_timestamp' | 'object_type' | 'object_id' | 'object_name'
  | 'copy_id' | 'status' | 'fixed' | 'event_id' | 'error_code' | 'description'; // prettier-ignore

/** The concise lskeyserver view with -delim , as objects. */
async function keyServers(): Promise<Record<KsColumn, string>[]> {
  const lines = (await ok('lskeyserver', '-delim', ',')).trim().split('\n');
  const headers = lines[0]!.split(',');
  return lines
    .slice(1)
    .map(
      (l) =>
        Object.fromEntries(l.split(',').map((v, i) => [headers[i]!, v])) as Record<
          KsColumn,
          string
        >,
    );
}

/** The detailed view of one object as a map. */
function detail(text: string, delim = ' '): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(delim);
    if (i > 0) m.set(line.slice(0, i), line.slice(i + delim.length));
  }
  return m;
}

/** Unfixed events as rows of the concise view. */
async function events(...filter: string[]): Promise<Record<EvColumn, string>[]> {
  const lines = (await ok('lseventlog', '-delim', ':', ...filter))
    .trim()
    .split('\n')
    .filter(Boolean);
  if (lines.length === 0) return [];
  const headers = lines[0]!.split(':');
  return lines.slice(1).map((l) => {
    const v = l.split(':');
    return Object.fromEntries(
      headers.map((h, i) => [h, i === headers.length - 1 ? v.slice(i).join(':') : v[i]!]),
    ) as Record<EvColumn, string>;
  });
}

function signCsr(csrPath: string, ext: 'client_ext' | 'noeku_ext'): string {
  const out = csrPath.replace(/\.csr$/, `-${ext}.crt`);
  execFileSync('openssl', [
    'x509', '-req', '-in', csrPath, '-CA', pki.caCert, '-CAkey', pki.caKey, '-set_serial', String(Date.now()),
    '-sha256', '-days', '30', '-extfile', path.join(pki.dir, 'openssl.cnf'), '-extensions', ext, '-out', out,
  ], { stdio: ['ignore', 'ignore', 'pipe'] }); // prettier-ignore
  return out;
}

async function kmipServer(...args: string[]): Promise<KmipServerProcess> {
  const s = await startKmipServerProcess({ pki, args });
  servers.push(s);
  return s;
}

before(async () => {
  pki = makeTestPki();
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      SEKISHO_BIN,
      'start',
      '--listen',
      '127.0.0.1:0',
      '--data-dir',
      dataDir,
    ],
    { env: { ...process.env, LANG: 'C' } },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.includes('Stop with Ctrl-C')) resolve();
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      reject(new Error(`sekisho start exited (${String(code)}): ${out}`));
    });
  });
  start = { child, out: () => out };
  // Shorter network time limits keep the silent-peer case quick.
  await ok('chsystem', '-keyservervalidationtimeout', '2');
  // The system certificate, signed by the test CA through a certificate request.
  const csr = path.join(dataDir, 'system.csr');
  await ok('chsystemcert', '-mkrequest', '-file', csr);
  await ok('chsystemcert', '-install', '-file', signCsr(csr, 'client_ext'));
});

after(async () => {
  for (const s of servers) await s.stop();
  await pykmip?.stop();
  for (const s of sockets) s.close();
  if (start) {
    const exited = new Promise((resolve) => start!.child.once('exit', resolve));
    start.child.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('key servers of the isklm type (sekisho kmip-server, ISKLM profile)', () => {
  let master: KmipServerProcess;
  let clone: KmipServerProcess;
  let old: KmipServerProcess;

  test('before a type is enabled, mkkeyserver is refused and nothing is created', async () => {
    const r = await sk('mkkeyserver', '-ip', '127.0.0.1', '-port', '5696');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KEYSERVER_TYPE_NOT_ENABLED/);
    assert.deepEqual(await keyServers(), []);
  });

  test('chkeyserverisklm enables the type with its CA certificate; lskeyserverisklm shows it', async () => {
    await ok('chkeyserverisklm', '-sslcert', pki.caCert, '-devicegroup', 'SEKISHO1', '-enable');
    const d = detail(await ok('lskeyserverisklm'));
    assert.equal(d.get('status'), 'enabled_inactive');
    assert.equal(d.get('device_group'), 'SEKISHO1');
    assert.match(d.get('certificate') ?? '', /sekisho-test-ca/);
  });

  test('an ISKLM master defined as primary validates: online, no event', async () => {
    master = await kmipServer('--profile', 'isklm', '--server-type', 'master');
    const out = await ok(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(master.port),
      '-primary',
      '-name',
      'master1',
    );
    assert.match(out, /^Key Server, id \[0\], successfully created$/m);
    const [ks] = await keyServers();
    assert.deepEqual(ks, {
      id: '0', name: 'master1', status: 'online', IP_address: '127.0.0.1', port: String(master.port),
      type: 'isklm', primary: 'yes', cert_set: 'no',
    }); // prettier-ignore
    const t = await sk('testkeyserver', 'master1');
    assert.equal(t.code, 0);
    assert.match(t.stdout, /The key server task completed successfully\./);
    for (const stage of [
      'service_ip',
      'dns',
      'tcp',
      'tls',
      'certificates',
      'discover_versions',
      'query',
      'kek',
    ]) {
      assert.match(t.stdout, new RegExp(`^1 +${stage} +ok `, 'm'), stage);
    }
    assert.deepEqual(await events('-fixed', 'no'), []);
  });

  test('a clone defined as primary raises 086009; repeating coalesces; cheventlog -fix fixes', async () => {
    clone = await kmipServer('--profile', 'isklm', '--server-type', 'clone');
    const ch = await sk('chkeyserver', '-port', String(clone.port), 'master1');
    assert.equal(ch.code, 0, ch.stderr);
    assert.match(ch.stderr, /error code 1785, event 086009 \(sequence number (\d+)\)/);
    let ev = await events('-fixed', 'no');
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.event_id, '086009');
    assert.equal(ev[0]!.error_code, '1785');
    assert.equal(ev[0]!.object_type, 'keyserver');
    assert.equal(ev[0]!.object_name, 'master1');
    const seq = ev[0]!.sequence_number;
    const ks = detail(await ok('lskeyserver', 'master1'));
    assert.equal(ks.get('status'), 'offline');
    assert.equal(ks.get('err_seq_num'), seq);

    const t = await sk('testkeyserver', '0');
    assert.equal(t.code, 1, 'testkeyserver fails while the event stands');
    assert.match(t.stdout, /^1 +query +failed /m);
    ev = await events('-fixed', 'no');
    assert.equal(ev.length, 1, 'a repeated unfixed event coalesces');
    const d = detail(await ok('lseventlog', seq));
    assert.equal(d.get('event_count'), '2');
    assert.equal(d.get('auto_fixed'), 'no');
    assert.match(
      d.get('sense1') ?? '',
      /^636c6f6e65/,
      'sense data starts with the server type "clone"',
    );

    await ok('cheventlog', '-fix', seq);
    assert.deepEqual(await events('-fixed', 'no'), []);
    assert.equal(detail(await ok('lseventlog', seq)).get('fixed'), 'yes');
    assert.equal(detail(await ok('lskeyserver', 'master1')).get('err_seq_num'), '');
  });

  test('a code level below 2.6.0.0 raises 086007; a later good validation auto-fixes it', async () => {
    old = await kmipServer('--profile', 'isklm', '--isklm-version', '2.5.0.0');
    const ch = await sk('chkeyserver', '-port', String(old.port), 'master1');
    assert.match(ch.stderr, /event 086007/);
    const [ev] = await events('-fixed', 'no');
    assert.equal(ev?.event_id, '086007');
    const seq = ev.sequence_number;
    const d = detail(await ok('lseventlog', seq));
    const sense = Buffer.from([1, 2, 3, 4].map((i) => d.get(`sense${i}`) ?? '').join(''), 'hex');
    assert.match(
      sense.subarray(8, 64).toString('latin1'),
      /IBM Security Key Lifecycle Manager 2\.5\.0\.0/,
    );
    await ok('chkeyserver', '-port', String(master.port), 'master1');
    const fixed = detail(await ok('lseventlog', seq));
    assert.equal(fixed.get('fixed'), 'yes');
    assert.equal(fixed.get('auto_fixed'), 'yes');
    assert.equal((await keyServers())[0]!.status, 'online');
  });

  test('the KEK moves to the key servers and back; lsencryption shows it; validation checks it', async () => {
    let d = detail(await ok('lsencryption'));
    assert.equal(d.get('kek_source'), 'local_file');
    await ok('chencryption', '-keyserver', 'enable');
    d = detail(await ok('lsencryption'));
    assert.equal(d.get('keyserver_status'), 'enabled');
    assert.equal(d.get('kek_source'), 'key_servers');
    assert.match(d.get('kek_check_value') ?? '', /^[0-9a-f]{6}$/);
    assert.ok(d.get('kek_uid_keyserver0'));
    assert.equal(detail(await ok('lskeyserverisklm')).get('status'), 'enabled_active');
    const t = await ok('testkeyserver', '0');
    assert.match(t, /^1 +kek +ok /m);
    const rm = await sk('rmkeyserver', '0');
    assert.equal(rm.code, 1);
    assert.match(rm.stderr, /KEYSERVER_PRIMARY_IN_USE/);
    await ok('chencryption', '-keyserver', 'disable');
    assert.equal(detail(await ok('lsencryption')).get('kek_source'), 'local_file');
  });

  test('bad input is refused with a clear message and changes nothing', async () => {
    const before = await ok('lskeyserver', '-delim', ',');
    const cases: [string[], number, RegExp][] = [
      [['mkkeyserver', '-ip', '999.1.1.1'], 1, /KEYSERVER_INVALID_ADDRESS/],
      [['mkkeyserver', '-ip', 'bad host!'], 1, /KEYSERVER_INVALID_ADDRESS/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-port', '70000'], 1, /KEYSERVER_INVALID_PORT/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-port', '0'], 1, /KEYSERVER_INVALID_PORT/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-name', '1abc'], 1, /KEYSERVER_INVALID_NAME/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-name', 'a;rm -rf'], 1, /KEYSERVER_INVALID_NAME/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-name', 'master1'], 1, /KEYSERVER_NAME_IN_USE/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-primary'], 1, /KEYSERVER_PRIMARY_EXISTS/],
      [
        ['mkkeyserver', '-ip', '127.0.0.1', '-sslcert', pki.caKey],
        1,
        /KEYSERVER_INVALID_CERTIFICATE/,
      ],
      [
        ['mkkeyserver', '-ip', '127.0.0.1', '-sslcert', pki.expiredServerCert],
        1,
        /KEYSERVER_INVALID_CERTIFICATE.*expired/,
      ],
      [['mkkeyserver', '-ip', '127.0.0.1', '-sslcert', '/nonexistent.pem'], 2, /cannot read/],
      [['mkkeyserver'], 2, /-ip is required/],
      [['mkkeyserver', '-ip', '127.0.0.1', '-bogus'], 2, /unknown option/],
      [['chkeyserver', '-port', '1', 'nosuch'], 1, /KEYSERVER_NOT_FOUND/],
      [['chkeyserver', 'master1'], 1, /give at least one/],
      [['rmkeyserver', 'nosuch'], 1, /KEYSERVER_NOT_FOUND/],
      [['testkeyserver'], 2, /missing/],
      [['lskeyserver', '-delim', 'ab'], 2, /-delim takes one/],
      [['cheventlog', '-fix', 'abc'], 2, /not a sequence number/],
      [['cheventlog', '-fix', '99999'], 1, /EVENT_NOT_FOUND/],
      [['lseventlog', '-fixed', 'maybe'], 2, /yes or no/],
      [['chkeyserverisklm', '-devicegroup', 'BAD_GROUP'], 1, /devicegroup/],
      [['chkeyserverkmip', '-enable'], 1, /KEYSERVER_TYPE_CONFLICT/],
      [['chsystemcert', '-install', '-file', pki.clientCert], 1, /SYSTEMCERT_INVALID/],
      [['chnodeserviceip', '-serviceip', 'nonsense'], 1, /NODE_INVALID_ADDRESS/],
      [['lseventlog', '-count', '0'], 2, /-count must be a whole number/],
      [['lseventlog', '-order', 'sideways'], 2, /-order must be date or severity/],
      [['lseventlog', '-lang', 'fr'], 2, /-lang must be ja or en/],
      [['lseventlog', '12x'], 2, /not a sequence number/],
      [['chsystem', '-keyservervalidationinterval', '99999'], 2, /0-10080 minutes/],
      [['chsystem', '-keyservervalidationtimeout', '0'], 2, /1-300 seconds/],
      [['chencryption', '-keyserver', 'maybe'], 2, /enable, disable or newkey/],
      [['chsystemcert', '-mkselfsigned', '-export'], 2, /exactly one of/],
      [['chsystemcert', '-mkselfsigned', '-commonname', 'a;b'], 2, /-commonname must be/],
      [['chnodeserviceip', '-noserviceip4', '-noserviceip6'], 2, /exactly one of/],
    ];
    for (const [args, code, re] of cases) {
      const r = await sk(...args);
      assert.equal(r.code, code, `${args.join(' ')} → ${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    }
    assert.equal(await ok('lskeyserver', '-delim', ','), before, 'nothing changed');
  });

  test('a fifth key server is refused', async () => {
    for (let i = 0; i < 3; i++)
      await ok('mkkeyserver', '-ip', '127.0.0.1', '-port', String(master.port));
    const r = await sk('mkkeyserver', '-ip', '127.0.0.1', '-port', String(master.port));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /KEYSERVER_LIMIT/);
    assert.equal((await keyServers()).length, 4);
    for (const id of ['1', '2', '3']) await ok('rmkeyserver', id);
    assert.equal((await keyServers()).length, 1);
  });

  test('connection failures raise 086008: closed port, silent peer, expired certificate, no IPv6 service address', async () => {
    const closed = await freePort();
    let r = await sk('mkkeyserver', '-ip', '127.0.0.1', '-port', String(closed), '-name', 'closed');
    assert.match(r.stderr, /event 086008.*ECONNREFUSED|event 086008/);
    const silent = net.createServer(() => undefined);
    sockets.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    r = await sk(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String((silent.address() as net.AddressInfo).port),
      '-name',
      'silent',
    );
    assert.match(r.stderr, /event 086008/);
    const expired = await startKmipServerProcess({
      pki: { ...pki, serverCert: pki.expiredServerCert, serverKey: pki.expiredServerKey },
    });
    servers.push(expired);
    r = await sk(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(expired.port),
      '-name',
      'expired',
    );
    assert.match(r.stderr, /event 086008/);
    const ev = await events('-fixed', 'no');
    assert.deepEqual(ev.map((e) => [e.object_name, e.event_id]).sort(), [
      ['closed', '086008'],
      ['expired', '086008'],
      ['silent', '086008'],
    ]);
    for (const name of ['closed', 'silent', 'expired']) {
      assert.equal(detail(await ok('lskeyserver', name)).get('status'), 'offline');
      await ok('rmkeyserver', name);
    }
    // The node loses its IPv6 service address: an IPv6 key server cannot be reached.
    await ok('chnodeserviceip', '-noserviceip6');
    r = await sk('mkkeyserver', '-ip', '::1', '-port', String(master.port), '-name', 'v6');
    assert.match(r.stderr, /event 086008.*IPv6/);
    await ok('rmkeyserver', 'v6');
    await ok('chnodeserviceip', '-serviceip', '::');
  });
});

describe('key servers of the kmip type (PyKMIP 0.10)', () => {
  test('PyKMIP validates under the kmip type', async () => {
    pykmip = await startPyKmipServer({ pki });
    await ok('rmkeyserver', 'master1');
    await ok('chkeyserverkmip', '-sslcert', pki.caCert, '-enable');
    assert.equal(detail(await ok('lskeyserverisklm')).get('status'), 'disabled');
    await ok(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(pykmip.port),
      '-primary',
      '-name',
      'pykmip',
    );
    assert.equal((await keyServers())[0]!.status, 'online');
    assert.equal((await keyServers())[0]!.type, 'kmip');
  });

  test('PyKMIP under the isklm type raises 086007 (unsupported vendor)', async () => {
    await ok('rmkeyserver', 'pykmip');
    await ok('chkeyserverisklm', '-sslcert', pki.caCert, '-enable');
    const r = await sk(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(pykmip!.port),
      '-primary',
      '-name',
      'pyisklm',
    );
    assert.match(r.stderr, /event 086007/);
    const [ev] = await events('-fixed', 'no');
    const d = detail(await ok('lseventlog', ev!.sequence_number));
    const sense = Buffer.from(
      [1, 2, 3, 4].map((i) => d.get(`sense${i}`) ?? '').join(''),
      'hex',
    ).toString('latin1');
    assert.match(sense, /PyKMIP 0\.10\.0 Software Server/);
    await ok('cheventlog', '-fix', ev!.sequence_number);
    await ok('rmkeyserver', 'pyisklm');
  });

  test('a system certificate without clientAuth usage gets 086006 with Authentication Not Successful', async () => {
    await ok('chkeyserverkmip', '-enable');
    const csr = path.join(dataDir, 'noeku.csr');
    await ok('chsystemcert', '-mkrequest', '-file', csr);
    await ok('chsystemcert', '-install', '-file', signCsr(csr, 'noeku_ext'));
    const r = await sk(
      'mkkeyserver',
      '-ip',
      '127.0.0.1',
      '-port',
      String(pykmip!.port),
      '-primary',
      '-name',
      'noeku',
    );
    assert.match(r.stderr, /event 086006/);
    const [ev] = await events('-fixed', 'no');
    assert.equal(ev?.event_id, '086006');
    const d = detail(await ok('lseventlog', ev.sequence_number));
    const sense = Buffer.from(d.get('sense1') ?? '', 'hex');
    assert.equal(sense.readUInt32BE(4), 1, 'result status Operation Failed');
    assert.equal(sense.readUInt32BE(8), 3, 'result reason Authentication Not Successful');
    // A good certificate again, and the next validation auto-fixes the event.
    const csr2 = path.join(dataDir, 'good.csr');
    await ok('chsystemcert', '-mkrequest', '-file', csr2);
    await ok('chsystemcert', '-install', '-file', signCsr(csr2, 'client_ext'));
    await ok('testkeyserver', 'noeku');
    assert.equal(detail(await ok('lseventlog', ev.sequence_number)).get('auto_fixed'), 'yes');
  });

  test('the event log is in Japanese when LANG is ja_JP.UTF-8', async () => {
    const r = await runSekisho(['lseventlog', '-delim', ':', '--data-dir', dataDir], {
      timeoutMs: 30_000,
    });
    assert.equal(r.code, 0);
    const ja = execFileSync(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', SEKISHO_BIN, 'lseventlog', '--data-dir', dataDir],
      {
        env: { ...process.env, LANG: 'ja_JP.UTF-8' },
      },
    ).toString('utf8');
    assert.match(ja, /鍵サーバーが KMIP エラーを報告しました/);
  });
});

test('state survives a restart of sekisho start', async () => {
  const beforeList = await ok('lskeyserver', '-delim', ',');
  const beforeEvents = await ok('lseventlog', '-delim', ',');
  const exited = new Promise((resolve) => start!.child.once('exit', resolve));
  start!.child.kill('SIGTERM');
  assert.equal(await exited, 0);
  start = undefined;
  // No server runs now: the commands run in their own process on the same store.
  assert.equal(await ok('lskeyserver', '-delim', ','), beforeList);
  assert.equal(await ok('lseventlog', '-delim', ','), beforeEvents);
});
