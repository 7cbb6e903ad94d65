// docs/errors.md and the code registries must list the same codes (fastify's habit).
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KMIP_ERROR_CODES } from '../../src/kmip/index.ts';
import { KEYSERVER_ERROR_CODES } from '../../src/keyservers/errors.ts';
import { EVENT_ERROR_CODES } from '../../src/events/index.ts';
import { SSO_ERROR_CODES } from '../../src/sso/core/errors.ts';
import { LDIF_ERROR_CODES } from '../../src/sso/ldif/errors.ts';
import { CONFIG_ERROR_CODES } from '../../src/config/errors.ts';
import { PKI_ERROR_CODES } from '../../src/pki/errors.ts';
import { LOG_ERROR_CODES } from '../../src/logs/index.ts';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set(
  [...doc.matchAll(/^\| `((?:KMIP|KEYSERVER|SYSTEMCERT|NODE|EVENT|SSO|LDIF|CONFIG|PKI|LOG)_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]!),
);

const registries: Record<string, Readonly<Record<string, string>>> = {
  kmip: KMIP_ERROR_CODES,
  keyservers: KEYSERVER_ERROR_CODES,
  events: EVENT_ERROR_CODES,
  sso: SSO_ERROR_CODES,
  ldif: LDIF_ERROR_CODES,
  pki: PKI_ERROR_CODES,
  logs: LOG_ERROR_CODES,
};
const all = new Map<string, string>(Object.values(registries).flatMap((r) => Object.entries(r)));

/** Registries that list codes without meanings: their codes must be documented all the same. */
const codeOnly: readonly string[] = CONFIG_ERROR_CODES;

test('every error code of every registry is documented in docs/errors.md', () => {
  const missing = [...all.keys(), ...codeOnly].filter((c) => !documented.has(c));
  assert.deepEqual(missing, []);
});

test('docs/errors.md documents no code the registries lack', () => {
  const stale = [...documented].filter((c) => !all.has(c) && !codeOnly.includes(c));
  assert.deepEqual(stale, []);
});

test('each documented code carries the meaning its registry gives it', () => {
  for (const [code, meaning] of all) {
    assert.ok(doc.includes(`| \`${code}\` | ${meaning} |`), `${code}: "${meaning}"`);
  }
});
