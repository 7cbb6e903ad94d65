// docs/logs.md and the code must agree: every supplementary text, every result token, and every
// example line (each must parse with the grammar).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import {
  RESULT_TOKENS,
  SUPPLEMENTARY,
  SYSTEM_MESSAGES,
  parseAccessLine,
} from '../../src/logs/index.ts';

const doc = readFileSync(new URL('../../docs/logs.md', import.meta.url), 'utf8');

describe('docs/logs.md', () => {
  it('lists every supplementary text and id of the catalogue', () => {
    for (const [id, e] of Object.entries(SUPPLEMENTARY)) {
      assert.ok(doc.includes(`| \`${id}\` | \`${e.text}\` |`), `${id}: ${e.text}`);
    }
  });
  it('lists every result token with its status', () => {
    for (const [token, e] of Object.entries(RESULT_TOKENS)) {
      assert.ok(
        doc.includes(`| \`${token} {succeeded\\|failed}.\` | ${e.logs.join(', ')} | ${e.status} |`),
        token,
      );
    }
  });
  it('lists every system-log message with its severity and text', () => {
    for (const [id, m] of Object.entries(SYSTEM_MESSAGES)) {
      assert.ok(
        doc.includes(
          `| \`${id}\` | ${m.severity} | \`${m.text}\` | ${m.verified ? 'yes' : 'no'} |`,
        ),
        id,
      );
    }
  });
  it('every example line follows the grammar', () => {
    const blocks = [...doc.matchAll(/```text\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const lines = blocks.flatMap((b) => b.split('\n').filter((l) => l.endsWith(' |')));
    assert.ok(lines.length >= 10);
    for (const l of lines) assert.ok(parseAccessLine(l), l);
  });
});
