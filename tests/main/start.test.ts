// `sekisho start` (the README's main job) as a real process: first start makes the PKI,
// the KMIP server answers the printed `kmip query` command, keys survive a restart.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { CryptographicAlgorithm, KmipClient } from '../../src/kmip/index.ts';

const BIN = fileURLToPath(new URL('../../bin/sekisho.js', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-start-'));
after(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

interface Started {
  child: ChildProcessWithoutNullStreams;
  port: number;
  output: () => string;
}

function startSekisho(env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', BIN, 'start', '--listen', '127.0.0.1:0'],
    { env: { ...process.env, SEKISHO_DATA_DIR: dataDir, ...env } },
  );
  let out = '';
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /development KMIP server on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m && out.includes('Stop with Ctrl-C'))
        resolve({ child, port: Number(m[1]), output: () => out });
    });
    child.once('exit', (code) => {
      reject(new Error(`sekisho start exited early (${String(code)}):\n${out}`));
    });
  });
}

function stop(s: Started, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.once('exit', (code) => {
      resolve(code);
    });
    s.child.kill(signal);
  });
}

function client(port: number): KmipClient {
  const pki = path.join(dataDir, 'pki');
  return new KmipClient({
    host: '127.0.0.1',
    port,
    ca: readFileSync(path.join(pki, 'ca.crt')),
    cert: readFileSync(path.join(pki, 'kmip-client.crt')),
    key: readFileSync(path.join(pki, 'kmip-client.key')),
  });
}

test('first start makes the PKI, prints the query command, answers it, and stops on SIGTERM', async () => {
  const s = await startSekisho();
  try {
    const out = s.output();
    assert.match(out, /WARNING: this is the development key server/);
    assert.match(out, /npx sekisho kmip query --host 127\.0\.0\.1 --port \d+ --ca /);
    const keyMode = statSync(path.join(dataDir, 'pki', 'kmip-client.key')).mode & 0o777;
    assert.equal(keyMode, 0o600, 'private keys are readable by their owner only');
    const c = client(s.port);
    const q = await c.query();
    assert.match(q.vendorIdentification ?? '', /^Sekisho \d+\.\d+\.\d+ KMIP Server$/);
    c.close();
  } finally {
    assert.equal(await stop(s), 0);
  }
});

test('a restart keeps the CA and every key', async () => {
  const caBefore = readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8');
  const a = await startSekisho();
  let uid: string;
  let material: Uint8Array;
  try {
    const c = client(a.port);
    uid = await c.createSymmetricKey({
      algorithm: CryptographicAlgorithm.AES,
      length: 256,
      usageMask: 12,
    });
    const got = await c.get(uid);
    assert.equal(got.object.kind, 'SymmetricKey');
    material = got.object.keyBlock.keyMaterial;
    c.close();
  } finally {
    assert.equal(await stop(a, 'SIGINT'), 0);
  }
  const b = await startSekisho();
  try {
    assert.equal(readFileSync(path.join(dataDir, 'pki', 'ca.crt'), 'utf8'), caBefore);
    const c = client(b.port);
    const again = await c.get(uid);
    assert.equal(again.object.kind, 'SymmetricKey');
    assert.deepEqual(Buffer.from(again.object.keyBlock.keyMaterial), Buffer.from(material));
    c.close();
  } finally {
    assert.equal(await stop(b), 0);
  }
});

test('a malformed --listen is a usage error and starts nothing', async () => {
  const child = spawn(process.execPath, [BIN, 'start', '--listen', 'localhost'], {
    env: { ...process.env, SEKISHO_DATA_DIR: dataDir },
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 2);
  assert.match(err, /-listen must be HOST:PORT/);
});
