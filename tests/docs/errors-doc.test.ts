// docs/errors.md and the code registries must list the same codes (fastify's habit).
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KMIP_ERROR_CODES } from '../../src/kmip/index.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\| `(KMIP_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!));

test('every KMIP error code is documented in docs/errors.md', () => {
  const missing = Object.keys(KMIP_ERROR_CODES).filter((c) => !documented.has(c));
  assert.deepEqual(missing, []);
});

test('docs/errors.md documents no KMIP code the library lacks', () => {
  const stale = [...documented].filter((c) => !Object.hasOwn(KMIP_ERROR_CODES, c));
  assert.deepEqual(stale, []);
});

test('each documented code carries the meaning the registry gives it', () => {
  for (const [code, meaning] of Object.entries(KMIP_ERROR_CODES)) {
    assert.ok(doc.includes(`| \`${code}\` | ${meaning} |`), `${code}: "${meaning}"`);
  }
});
