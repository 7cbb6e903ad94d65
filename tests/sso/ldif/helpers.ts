// Shared assertions of the LDIF tests.
import assert from 'node:assert/strict';

import { LdifError, type LdifErrorCode } from '../../../src/sso/ldif/index.ts';

/** Asserts that `fn` throws an LdifError with `code`, and `line`/`record` when given. */
export function assertLdifError(
  fn: () => unknown,
  code: LdifErrorCode,
  line?: number,
  record?: number,
): LdifError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof LdifError, `expected LdifError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (line !== undefined) assert.equal(caught.line, line, caught.message);
  if (record !== undefined) assert.equal(caught.record, record, caught.message);
  if (line !== undefined && line > 0) {
    assert.match(caught.message, new RegExp(`\\(line ${line}, record ${caught.record}\\)$`));
  }
  return caught;
}

/** Joins lines with LF and a final LF. */
export function ldif(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
