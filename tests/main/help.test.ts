// `sekisho --help` and `sekisho COMMAND --help`: every command is listed, each shows its options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSekisho } from '../helpers/kmip-process.ts';
import { MANAGEMENT_COMMANDS } from '../../src/management/commands.ts';

test('sekisho --help lists every command', async () => {
  const r = await runSekisho(['--help']);
  assert.equal(r.code, 0);
  for (const name of ['start', 'kmip decode', 'kmip-server', ...Object.keys(MANAGEMENT_COMMANDS)]) {
    assert.match(r.stdout, new RegExp(`^  ${name} `, 'm'), name);
  }
});

test('COMMAND --help shows its options, required ones marked', async () => {
  const r = await runSekisho(['mkkeyserver', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: sekisho mkkeyserver/m);
  assert.match(r.stdout, /--ip ADDRESS +.*\(required\)$/m);
  assert.match(r.stdout, /--primary +make it the primary key server$/m);
});

test('an unknown command is a usage error', async () => {
  const r = await runSekisho(['mkkeyservr']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "mkkeyservr"/);
});
