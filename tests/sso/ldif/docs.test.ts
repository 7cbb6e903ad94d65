// docs/ldif.md and the code must agree: every error code with its meaning, and every example parses.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import { LDIF_ERROR_CODES, parseLdif } from '../../../src/sso/ldif/index.ts';

const doc = readFileSync(new URL('../../../docs/ldif.md', import.meta.url), 'utf8');

describe('docs/ldif.md', () => {
  it('lists every error code with its meaning', () => {
    for (const [code, meaning] of Object.entries(LDIF_ERROR_CODES)) {
      assert.ok(doc.includes(`| \`${code}\` | ${meaning} |`), code);
    }
  });
  it('every ldif example parses: a directory tree, an add, a modify and a delete', () => {
    const blocks = [...doc.matchAll(/```ldif\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.equal(blocks.length, 4);
    const kinds = blocks.map((b) =>
      parseLdif(b)
        .map((r) => r.changetype)
        .join(),
    );
    assert.deepEqual(kinds, [
      'add,add,add,add,add,add,add,add,add,add,add',
      'add',
      'modify',
      'delete',
    ]);
  });
});
