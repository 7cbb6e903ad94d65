// `sekisho init` prepares a data directory once: certificates, token, local KEK, the first
// administrator (password printed once, stored as argon2id); a second run creates nothing.
// An invalid configuration is refused with its dotted path and nothing is created.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openServices } from '../../src/main/services.ts';
import { needsInit } from '../../src/main/init.ts';
import { verifyPassword } from '../../src/sso/core/password.ts';
import { runSekisho } from '../helpers/kmip-process.ts';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sekisho-init-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('sekisho init', () => {
  it('creates everything once and prints the administrator password once', async () => {
    const dir = tmp();
    assert.equal(needsInit(dir), true);
    const first = await runSekisho(['init', '--data-dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    const m = /First administrator: user ID "admin", password ([A-Za-z0-9_-]{20})\n/.exec(
      first.stdout,
    );
    assert.ok(m, first.stdout);
    for (const f of [
      'pki/ca.crt',
      'pki/server.crt',
      'pki/server.key',
      'run/admin-token',
      'kek.local',
    ]) {
      assert.ok(existsSync(path.join(dir, f)), f);
    }
    assert.equal(needsInit(dir), false);
    const services = openServices(dir);
    try {
      const admin = await services.users.findByUid('admin');
      const stored = admin?.userPassword;
      assert.ok(admin !== undefined && stored !== undefined);
      assert.ok(stored.startsWith('$argon2id$v=19$m=7168,t=5,p=1$'), stored);
      assert.equal(await verifyPassword(m[1]!, stored), true);
      assert.deepEqual(admin.ssoRoleName, ['sekisho-admin']);
    } finally {
      services.close();
    }
    const token = readFileSync(path.join(dir, 'run/admin-token'), 'utf8');
    const second = await runSekisho(['init', '--data-dir', dir, '--json']);
    assert.equal(second.code, 0, second.stderr);
    assert.equal(second.stdout, '{"adminPassword":null}\n');
    assert.equal(readFileSync(path.join(dir, 'run/admin-token'), 'utf8'), token);
  });

  it('refuses an invalid configuration before creating anything', async () => {
    const dir = tmp();
    writeFileSync(
      path.join(dir, 'sekisho.json'),
      JSON.stringify({ repository: { 'password-max-failure-count': -1 } }),
    );
    const r = await runSekisho(['init', '--data-dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /repository\.password-max-failure-count: /);
    assert.equal(existsSync(path.join(dir, 'pki')), false);
    assert.equal(existsSync(path.join(dir, 'run', 'admin-token')), false);
  });
});
