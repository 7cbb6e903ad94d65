/** The supplementary-information catalogue: ids, texts, verified strings, ja/en meaning and action. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  LOG_KINDS,
  OUTCOMES,
  RESULT_TOKENS,
  SUPPLEMENTARY,
  SUPPLEMENTARY_IDS,
  supplementaryIdOf,
  type SupplementaryEntry,
} from '../../src/logs/index.ts';

const entries = Object.entries(SUPPLEMENTARY) as [string, SupplementaryEntry][];

/** The manual's strings (shared/reference/sso-interstage.md §4.1 and §4.3, V8), copied. */
const VERIFIED: Record<string, string> = {
  ABNORMAL_REPOSITORY_ACCESS: 'Abnormalities in access of SSO Repository',
  REPOSITORY_ACCESS_DENIED: 'Access was denied by SSO Repository',
  ALREADY_LOCKED: 'Already locked',
  REPOSITORY_AUTHENTICATION_FAILED: 'Authentication of SSO Repository failed',
  AUTH_TYPE_MISMATCH: 'Authentication type mismatch',
  COUNT_UP_FAILURE_COUNT: 'Count up failure count',
  NO_CREDENTIALS: "User's ID/password and certificate do not exist",
  PASSWORD_AUTH_REQUIRED: 'Authentication by ID and password is required',
};

describe('supplementary catalogue', () => {
  it('ids are unique, stable upper-case names', () => {
    assert.equal(new Set(SUPPLEMENTARY_IDS).size, SUPPLEMENTARY_IDS.length);
    for (const id of SUPPLEMENTARY_IDS) assert.match(id, /^[A-Z][A-Z0-9_]*$/);
  });
  it('texts are unique per log and outcome (the grammar maps a text back to its id)', () => {
    for (const log of LOG_KINDS) {
      for (const outcome of OUTCOMES) {
        const texts = entries
          .filter(([, e]) => e.logs.includes(log) && e.outcome === outcome)
          .map(([, e]) => e.text);
        assert.equal(new Set(texts).size, texts.length, `${log}/${outcome}`);
      }
    }
    for (const [id, e] of entries) {
      for (const log of e.logs) {
        const text = e.text.replace('{host}', 'sso2.example.com');
        assert.equal(supplementaryIdOf(log, e.outcome, text), id);
      }
    }
    assert.equal(supplementaryIdOf('repository', 'failed', 'No such text'), undefined);
  });
  it('every verified text equals the reference string exactly, and only those are verified', () => {
    for (const [id, e] of entries) {
      if (e.verified) assert.equal(e.text, VERIFIED[id], id);
      else assert.equal(VERIFIED[id], undefined, id);
    }
    for (const [id, text] of Object.entries(VERIFIED)) {
      assert.equal((SUPPLEMENTARY as Record<string, SupplementaryEntry>)[id]?.text, text);
      assert.equal((SUPPLEMENTARY as Record<string, SupplementaryEntry>)[id]?.verified, true);
    }
  });
  it('texts follow the V8 form and fit the grammar: no trailing period, no parentheses or controls', () => {
    for (const [id, e] of entries) {
      assert.match(e.text, /^[A-Z]/, id);
      assert.doesNotMatch(e.text, /\.$/, id);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(e.text, /[()\u0000-\u001f"]/, id);
      assert.ok(e.logs.length > 0, id);
    }
  });
  it('every entry has ja and en meaning and action', () => {
    for (const [id, e] of entries) {
      for (const t of [e.meaning.ja, e.meaning.en, e.action.ja, e.action.en])
        assert.ok(t.trim().length > 0, id);
      assert.match(e.meaning.ja, /[\u3040-\u30ff\u4e00-\u9fff]/, id);
      assert.doesNotMatch(e.meaning.en, /[\u3040-\u30ff\u4e00-\u9fff]/, id);
      assert.doesNotMatch(e.action.en, /[\u3040-\u30ff\u4e00-\u9fff]/, id);
    }
  });
  it('the failed-side meanings of the seed are all there', () => {
    const failed = entries.filter(
      ([, e]) => e.logs.includes('repository') && e.outcome === 'failed',
    );
    const succeeded = entries.filter(
      ([, e]) => e.logs.includes('repository') && e.outcome === 'succeeded',
    );
    // 41 of the seed, and Sekisho's PASSWORD_EXPIRED (an Active Directory bind, data 532/773).
    assert.equal(failed.length, 42);
    assert.equal(succeeded.length, 7);
  });
});

describe('result tokens', () => {
  it('every token has a status and at least one log; proposals are the two extra deletion kinds', () => {
    const proposals = Object.entries(RESULT_TOKENS)
      .filter(([, t]) => t.status === 'proposal')
      .map(([k]) => k);
    assert.deepEqual(proposals, ['Deletion(idle-timeout)', 'Deletion(expired)']);
    for (const [, t] of Object.entries(RESULT_TOKENS)) assert.ok(t.logs.length > 0);
  });
});
