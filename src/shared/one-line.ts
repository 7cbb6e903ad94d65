/** Keeping outside text on one line of a plain-text view. */

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * `value` with every control character (C0, DEL, C1, U+2028, U+2029) replaced by `?`, so that
 * it cannot break or forge a line. The test runs first: most values have none, and keep their
 * identity (this runs for every cell of 100,000-row listings).
 */
export function oneLine(value: string): string {
  return CONTROL.test(value) ? value.replace(CONTROLS, '?') : value;
}
