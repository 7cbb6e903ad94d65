/**
 * The lines of the SSO access logs (shared/reference/sso-interstage.md §2), one per record:
 *
 * ```text
 * repository      AUTHSERVER - CLIENT [TIME] - "USER" RESULT (SUPP) SessionID="ID" |
 * authentication  CLIENT - BUSINESSSERVER - REPOSITORYSERVER [TIME] - "USER" RESULT (SUPP) SessionID="ID" |
 * business        CLIENT [TIME] - "USER" "RESOURCE" RESULT (SUPP) SessionID="ID" Server="IP" RequestID="ID" |
 * session         [TIME] "SESSIONID" RESULT (SUPP) UserID="UID" |
 * ```
 *
 * - `TIME` is `YYYY/MM/DD HH:MM:SS +HHMM`, local time of the server (the offset of each instant,
 *   so daylight saving time is right) or of an explicit offset.
 * - `RESULT` is `<token> <succeeded|failed>.`; ` (SUPP)` only when there is supplementary
 *   information (no empty parentheses); `SessionID` (and `Server` in the business log) only with
 *   session management.
 * - Every line ends with ` |`, the business line included (V9.2+ form; J-BA90 is V9.0, which
 *   had no terminator on any log — one product writes one form).
 * - A field that cannot be determined is `unknown`. Values from outside are escaped (escape.ts).
 */
import { normalizeAddress } from './address.ts';
import { escapeQuoted, escapeToken } from './escape.ts';
import type { AccessRecord, Result, Supplementary, UserIdentification } from './records.ts';
import { SUPPLEMENTARY, type SupplementaryId } from './supplementary.ts';

export interface FormatOptions {
  /**
   * Offset from UTC in minutes to print times in (e.g. 540 for +0900, -210 for -0330);
   * absent: the server's local time zone (process TZ), looked up for each timestamp.
   */
  readonly timeZoneOffsetMinutes?: number | undefined;
}

/** The word written for a value that cannot be determined. */
export const UNKNOWN = 'unknown';

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * The last timestamp written, by second and requested offset (`undefined` = local time, whose
 * offset cannot change within one second): a busy server writes many lines per second.
 */
let lastSecond = NaN;
let lastRequested: number | undefined = NaN;
let lastText = '';

/** `YYYY/MM/DD HH:MM:SS +HHMM` (without brackets). */
export function formatTimestamp(time: Date, timeZoneOffsetMinutes?: number): string {
  const ms = time.getTime();
  if (Number.isNaN(ms)) throw new RangeError('access-log record time is an invalid Date');
  const second = Math.floor(ms / 1000);
  if (second === lastSecond && timeZoneOffsetMinutes === lastRequested) return lastText;
  const offset = Math.round(timeZoneOffsetMinutes ?? -time.getTimezoneOffset());
  lastText = formatUncached(ms, offset);
  lastSecond = second;
  lastRequested = timeZoneOffsetMinutes;
  return lastText;
}

function formatUncached(ms: number, offset: number): string {
  const t = new Date(ms + offset * 60_000);
  const abs = Math.abs(offset);
  return (
    String(t.getUTCFullYear()).padStart(4, '0') +
    '/' +
    pad2(t.getUTCMonth() + 1) +
    '/' +
    pad2(t.getUTCDate()) +
    ' ' +
    pad2(t.getUTCHours()) +
    ':' +
    pad2(t.getUTCMinutes()) +
    ':' +
    pad2(t.getUTCSeconds()) +
    ' ' +
    (offset < 0 ? '-' : '+') +
    pad2(Math.floor(abs / 60)) +
    pad2(abs % 60)
  );
}

/** Inner quoting of a DN inside the certificate form: `"` and `\` escaped. */
function innerQuote(s: string): string {
  return '"' + s.replace(/["\\]/g, (c) => '\\' + c) + '"';
}

const HEX_SERIAL = /^[0-9A-Fa-f]+$/;

/**
 * The value of the user-identification field before escaping: the DN or uid; `unknown`; or for
 * a certificate that identifies no user
 * `serialNumber=<hex>, issuer="<issuer DN>", subject="<subject DN>"` (DNs inner-quoted with `"`
 * and `\` escaped by a backslash; a serial that is not hex is inner-quoted too).
 */
export function userIdentificationText(user: UserIdentification | undefined): string {
  if (user === undefined) return UNKNOWN;
  switch (user.kind) {
    case 'dn':
    case 'uid':
      return user.value;
    case 'certificate': {
      const serial = HEX_SERIAL.test(user.serial) ? user.serial : innerQuote(user.serial);
      return `serialNumber=${serial}, issuer=${innerQuote(user.issuerDn)}, subject=${innerQuote(user.subjectDn)}`;
    }
    default: {
      const never: never = user;
      return never;
    }
  }
}

/** An unquoted address/host field: normalised address, escaped, or `unknown`. */
export function addressField(value: string | undefined): string {
  return value === undefined || value === '' ? UNKNOWN : escapeToken(normalizeAddress(value));
}

/** A quoted field's content: escaped, or `unknown`. */
function quoted(value: string | undefined): string {
  return '"' + (value === undefined ? UNKNOWN : escapeQuoted(value)) + '"';
}

/** The supplementary text as written between the parentheses. */
export function supplementaryText(s: Supplementary): string {
  if (typeof s === 'string') return SUPPLEMENTARY[s].text;
  return SUPPLEMENTARY[s.id].text.replace('{host}', addressField(s.host));
}

function resultText(result: Result, supplementary: Supplementary | undefined): string {
  // Lines repeat a handful of results: build each text once (the tokens and supplementary IDs
  // are fixed tables; a supplementary with a host varies and is not kept).
  if (typeof supplementary === 'object') return composeResult(result, supplementary);
  let byOutcome = RESULT_TEXTS.get(result.token);
  if (byOutcome === undefined) {
    byOutcome = { succeeded: new Map(), failed: new Map() };
    RESULT_TEXTS.set(result.token, byOutcome);
  }
  const texts = byOutcome[result.outcome];
  let text = texts.get(supplementary);
  if (text === undefined) {
    text = composeResult(result, supplementary);
    texts.set(supplementary, text);
  }
  return text;
}

function composeResult(result: Result, supplementary: Supplementary | undefined): string {
  const r = `${result.token} ${result.outcome}.`;
  return supplementary === undefined ? r : `${r} (${supplementaryText(supplementary)})`;
}

const RESULT_TEXTS = new Map<
  string,
  Record<Result['outcome'], Map<SupplementaryId | undefined, string>>
>();

/** One line of its access log, without the line feed. */
export function formatAccessLine(record: AccessRecord, options: FormatOptions = {}): string {
  const ts = '[' + formatTimestamp(record.time, options.timeZoneOffsetMinutes) + ']';
  const result = resultText(record.result, record.supplementary);
  switch (record.log) {
    case 'repository': {
      const session = record.sessionManagement ? ` SessionID=${quoted(record.sessionId)}` : '';
      return `${addressField(record.authServer)} - ${addressField(record.client)} ${ts} - ${quoted(userIdentificationText(record.user))} ${result}${session} |`;
    }
    case 'authentication': {
      const session = record.sessionManagement ? ` SessionID=${quoted(record.sessionId)}` : '';
      return `${addressField(record.client)} - ${addressField(record.businessServer)} - ${addressField(record.repositoryServer)} ${ts} - ${quoted(userIdentificationText(record.user))} ${result}${session} |`;
    }
    case 'business': {
      const session = record.sessionManagement
        ? ` SessionID=${quoted(record.sessionId)} Server=${quoted(record.server === undefined ? undefined : normalizeAddress(record.server))}`
        : '';
      return `${addressField(record.client)} ${ts} - ${quoted(userIdentificationText(record.user))} ${quoted(record.resource)} ${result}${session} RequestID=${quoted(record.requestId)} |`;
    }
    case 'session': {
      const variable = record.userId === undefined ? '' : ` UserID=${quoted(record.userId)}`;
      return `${ts} ${quoted(record.sessionId)} ${result}${variable} |`;
    }
    default: {
      const never: never = record;
      return never;
    }
  }
}
