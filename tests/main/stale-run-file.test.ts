// A run file left behind by a killed server (its PID now another process's) must not make
// every command fail: the command says so and runs on the store itself.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSekisho } from '../helpers/kmip-process.ts';
import { freePort } from '../helpers/ports.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sekisho-stale-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('a stale run file (live PID, nobody listening) falls back to running here', async () => {
  mkdirSync(path.join(dir, 'run'), { recursive: true });
  const port = await freePort();
  // PID 1 is always alive; nothing listens on the port.
  writeFileSync(
    path.join(dir, 'run', 'server.json'),
    JSON.stringify({
      pid: 1,
      url: `https://127.0.0.1:${port}/`,
      caCertPath: '/nonexistent/ca.crt',
    }),
  );
  writeFileSync(path.join(dir, 'run', 'admin-token'), 'x\n');
  const r = await runSekisho(['lsnode', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  // Run here, not by a server: the node is not running.
  assert.match(r.stdout, /^1 +node1 +any +any +offline$/m);
  assert.match(r.stderr, /does not answer at https:\/\/127\.0\.0\.1:\d+\/; running here/);
});

test('a corrupt run file is ignored', async () => {
  writeFileSync(path.join(dir, 'run', 'server.json'), '{not json');
  const r = await runSekisho(['lsnode', '--data-dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
});
