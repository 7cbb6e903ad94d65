// docs/config.md is generated from the schema; this test fails when it is stale. Regenerate with:
//   node --disable-warning=ExperimentalWarning -e "import('./src/config/index.ts').then(m => process.stdout.write(m.renderConfigDoc()))" > docs/config.md
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

import type { TSchema } from '@sinclair/typebox';
import {
  ConfigSchema,
  defaultConfig,
  loadConfig,
  renderConfigDoc,
} from '../../src/config/index.ts';

const doc = readFileSync(new URL('../../docs/config.md', import.meta.url), 'utf8');

describe('docs/config.md', () => {
  it('equals renderConfigDoc()', () => {
    assert.equal(doc, renderConfigDoc());
  });
  it('has a row for every setting, with its default', () => {
    for (const [section, schema] of Object.entries(ConfigSchema.properties)) {
      for (const [key, child] of Object.entries<TSchema>(schema.properties)) {
        const d: unknown = child.default;
        const shown = d === undefined ? '(not set)' : `\`${JSON.stringify(d)}\``;
        assert.ok(doc.includes(`| \`${section}.${key}\` | `), `${section}.${key}`);
        assert.ok(doc.includes(` | ${shown} | `), `${section}.${key} default`);
      }
    }
  });
  it('every schema node has a description; every required setting a default', () => {
    assert.equal(typeof ConfigSchema.description, 'string');
    for (const schema of Object.values(ConfigSchema.properties)) {
      assert.equal(typeof schema.description, 'string');
      assert.equal(schema.additionalProperties, false);
      const required = new Set<string>(schema.required);
      for (const [key, child] of Object.entries<TSchema>(schema.properties)) {
        assert.equal(typeof child.description, 'string', key);
        assert.equal(child.default !== undefined, required.has(key), key);
      }
    }
    assert.equal(ConfigSchema.additionalProperties, false);
  });
  it('the example file loads and equals the defaults', () => {
    const m = /## Example: every default[\s\S]*?```json\n([\s\S]*?)```/.exec(doc);
    assert.ok(m);
    assert.deepEqual(loadConfig({ text: m[1]! }), defaultConfig());
  });
});
