// The `sekisho kmip ...` and `sekisho kmip-server` command lines, run as real processes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeTestPki } from '../helpers/certs.ts';
import type { TestPki } from '../helpers/certs.ts';
import {
  REPO_ROOT,
  SEKISHO_BIN,
  runSekisho,
  startKmipServerProcess,
} from '../helpers/kmip-process.ts';
import type { KmipServerProcess, SekishoResult } from '../helpers/kmip-process.ts';
import { freePort } from '../helpers/ports.ts';

interface Vector {
  readonly name: string;
  readonly request_hex: string;
  readonly response_hex: string;
}

/** The project's copy of the PyKMIP vectors, or the shared reference until it exists. */
function loadVectors(): Vector[] {
  const own = path.join(REPO_ROOT, 'tests/vectors/kmip/pykmip-0.10.json');
  const file = fs.existsSync(own) ? own : '/work/shared/reference/pykmip-peer/vectors.json';
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { vectors: Vector[] }).vectors;
}

/** Discover Versions at 1.2, as PyKMIP's client sends it (104 bytes). */
const DISCOVER_HEX =
  '42007801000000604200770100000038420069010000002042006a0200000004000000010000000042006b0200000004000000020000000042000d0200000004000000010000000042000f010000001842005c05000000040000001e000000004200790100000000';

/**
 * `sekisho kmip decode --hex HEX | sekisho kmip encode` as a bash pipeline (pipefail: a
 * failure of either side fails the whole; both write to the same stderr).
 */
function decodeThenEncode(hex: string): Promise<SekishoResult> {
  const sekisho = `"$0" --disable-warning=ExperimentalWarning "$1"`;
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      [
        '-c',
        `set -o pipefail; ${sekisho} kmip decode --hex "$2" | ${sekisho} kmip encode`,
        process.execPath,
        SEKISHO_BIN,
        hex,
      ],
      {
        cwd: REPO_ROOT,
        env: { ...process.env, NODE_OPTIONS: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('decode | encode did not finish within 30 s'));
    }, 30_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>) {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describe('sekisho kmip decode / encode', () => {
  test('decode --hex prints KMIP JSON of the request', async () => {
    const r = await runSekisho(['kmip', 'decode', '--hex', DISCOVER_HEX]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const json = JSON.parse(r.stdout) as { tag: string; value: { tag: string }[] };
    assert.equal(json.tag, 'RequestMessage');
    assert.deepEqual(
      json.value.map((v) => v.tag),
      ['RequestHeader', 'BatchItem'],
    );
    assert.match(r.stdout, /"DiscoverVersions"/);
  });

  test('decode reads hex from standard input (whitespace and a 0x prefix allowed)', async () => {
    const spaced = '0x' + DISCOVER_HEX.replace(/(.{16})/g, '$1 ').replace(/(.{68})/g, '$1\n');
    const stdin = await runSekisho(['kmip', 'decode'], { input: spaced + '\n' });
    const flag = await runSekisho(['kmip', 'decode', '--hex', DISCOVER_HEX]);
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(stdin.stdout, flag.stdout);
  });

  test('decode of malformed TTLV exits 1 naming the byte offset', async () => {
    // Protocol Version Major (at byte 24) with a non-zero padding byte at 24 + 8 + 4 = 36.
    const bad = Buffer.from(DISCOVER_HEX, 'hex');
    bad[36] = 0x01;
    const r = await runSekisho(['kmip', 'decode', '--hex', bad.toString('hex')]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /KMIP_TTLV_BAD_PADDING/);
    assert.match(r.stderr, /at byte 36\b/);
    assert.match(r.stderr, /ProtocolVersionMajor/);

    const truncated = await runSekisho(['kmip', 'decode', '--hex', DISCOVER_HEX.slice(0, 100)]);
    assert.equal(truncated.code, 1);
    assert.match(truncated.stderr, /KMIP_TTLV_TRUNCATED.*at byte \d+/);
  });

  test('odd-length or non-hex input exits 1 with KMIP_HEX_INVALID', async () => {
    const odd = await runSekisho(['kmip', 'decode', '--hex', DISCOVER_HEX.slice(0, -1)]);
    assert.equal(odd.code, 1);
    assert.match(odd.stderr, /KMIP_HEX_INVALID/);
    assert.match(odd.stderr, /odd number/);
    const nonHex = await runSekisho(['kmip', 'decode', '--hex', '4200zz01']);
    assert.equal(nonHex.code, 1);
    assert.match(nonHex.stderr, /KMIP_HEX_INVALID/);
    // The offset counts bytes (digit pairs): "zz" is the third byte.
    assert.match(nonHex.stderr, /"z".*at byte 2\b/);
  });

  test('decode | encode reproduces every PyKMIP vector byte for byte', async () => {
    const vectors = loadVectors();
    assert.ok(vectors.length >= 10, `only ${vectors.length} vectors`);
    const messages = vectors.flatMap((v) => [
      { what: `${v.name} request`, hex: v.request_hex },
      { what: `${v.name} response`, hex: v.response_hex },
    ]);
    const results = await mapLimit(messages, 4, (m) => decodeThenEncode(m.hex));
    messages.forEach((m, i) => {
      const r = results[i]!;
      assert.equal(r.code, 0, `${m.what}: ${r.stderr}`);
      assert.equal(r.stderr, '', m.what);
      assert.equal(r.stdout, `${m.hex.toLowerCase()}\n`, m.what);
    });
  });

  test('encode of input that is not JSON exits 1', async () => {
    const r = await runSekisho(['kmip', 'encode'], { input: '{"tag": "RequestMessage",' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /not JSON/);
  });

  test('encode of JSON with an unknown tag exits 1 naming the tag', async () => {
    const r = await runSekisho(['kmip', 'encode'], {
      input: JSON.stringify({ tag: 'NoSuchKmipTag', type: 'Structure', value: [] }),
    });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /NoSuchKmipTag/);
  });

  test('an unknown option exits 2', async () => {
    const r = await runSekisho(['kmip', 'decode', '--hexx', DISCOVER_HEX]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option --hexx/);
    assert.equal(r.stdout, '');
  });

  test('a missing required option exits 2', async () => {
    const r = await runSekisho(['kmip', 'query', '--host', '127.0.0.1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-ca is required/);
  });
});

describe('sekisho kmip query and kmip-server', () => {
  let pki: TestPki;
  let isklm: KmipServerProcess;
  const servers: KmipServerProcess[] = [];
  const tlsArgs = (): string[] => [
    '--ca', pki.caCert,
    '--cert', pki.clientCert,
    '--key', pki.clientKey,
  ]; // prettier-ignore

  before(async () => {
    pki = makeTestPki();
    isklm = await startKmipServerProcess({
      pki,
      args: ['--profile', 'isklm', '--server-type', 'master'],
    });
    servers.push(isklm);
  });

  after(async () => {
    for (const s of servers) await s.stop();
    fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  test('kmip query prints version, vendor, server information, operations and object types', async () => {
    const r = await runSekisho([
      'kmip', 'query', '--host', '127.0.0.1', '--port', String(isklm.port), ...tlsArgs(),
    ]); // prettier-ignore
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    const line = (label: string): string => {
      const l = lines.find((x) => x.startsWith(`${label}:`));
      assert.ok(l, `no "${label}:" line in\n${r.stdout}`);
      return l.slice(label.length + 1).trim();
    };
    assert.equal(line('Protocol version'), '1.4');
    assert.equal(line('Vendor Identification'), 'IBM Security Key Lifecycle Manager 4.1.1.0');
    assert.match(line('Server Information'), /ServerType=master/);
    assert.match(line('Operations'), /\bDiscoverVersions\b/);
    assert.match(line('Operations'), /\bCreate\b.*\bQuery\b/);
    assert.match(line('Object types'), /\bSymmetricKey\b/);
    assert.match(line('TLS'), /^TLSv1\.[23] /);
  });

  test('kmip query --json prints one JSON object', async () => {
    const r = await runSekisho([
      'kmip', 'query', '--json', '--host', '127.0.0.1', '--port', String(isklm.port), ...tlsArgs(),
    ]); // prettier-ignore
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as {
      protocolVersion: string;
      vendorIdentification: string;
      serverInformation: { tag: string; value: { value: string }[] };
      operations: string[];
      objectTypes: string[];
    };
    assert.equal(j.protocolVersion, '1.4');
    assert.equal(j.vendorIdentification, 'IBM Security Key Lifecycle Manager 4.1.1.0');
    assert.equal(j.serverInformation.tag, 'ServerInformation');
    assert.ok(j.serverInformation.value.some((v) => v.value === 'ServerType=master'));
    assert.ok(j.operations.includes('DiscoverVersions'));
    assert.ok(j.objectTypes.includes('SymmetricKey'));
  });

  test('kmip query against a closed port exits 1 with KMIP_CONNECT_FAILED', async () => {
    const port = await freePort();
    const r = await runSekisho([
      'kmip', 'query', '--host', '127.0.0.1', '--port', String(port), ...tlsArgs(),
    ]); // prettier-ignore
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /KMIP_CONNECT_FAILED/);
    assert.match(r.stderr, /ECONNREFUSED/);
  });

  test('kmip-server with a --cert that is not PEM exits 2 with a clear message', async () => {
    const notPem = path.join(pki.dir, 'not-a-cert.txt');
    fs.writeFileSync(notPem, 'this is not a certificate\n');
    const r = await runSekisho([
      'kmip-server', '--host', '127.0.0.1', '--port', '0',
      '--ca', pki.caCert, '--cert', notPem, '--key', pki.serverKey,
    ]); // prettier-ignore
    assert.equal(r.code, 2);
    assert.match(r.stderr, /-cert: .*not-a-cert\.txt is not a PEM file/);
    assert.doesNotMatch(r.stdout, /listening/);
  });

  test('kmip-server with a bad --port exits 2', async () => {
    for (const port of ['70000', 'http', '-1']) {
      const r = await runSekisho([
        'kmip-server', '--host', '127.0.0.1', '--port', port,
        '--ca', pki.caCert, '--cert', pki.serverCert, '--key', pki.serverKey,
      ]); // prettier-ignore
      assert.equal(r.code, 2, `--port ${port}: ${r.stderr}`);
      assert.match(r.stderr, /port/, `--port ${port}`);
      assert.doesNotMatch(r.stdout, /listening/);
    }
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    test(`kmip-server stops cleanly on ${signal}`, async () => {
      const s = await startKmipServerProcess({ pki });
      servers.push(s);
      const q = await runSekisho([
        'kmip', 'query', '--host', '127.0.0.1', '--port', String(s.port), ...tlsArgs(),
      ]); // prettier-ignore
      assert.equal(q.code, 0, q.stderr);
      const r = await s.stop(signal);
      assert.equal(r.code, 0);
      assert.match(r.stdout, new RegExp(`stopped \\(${signal}\\)`));
      assert.equal(r.stderr, '');
    });
  }
});
