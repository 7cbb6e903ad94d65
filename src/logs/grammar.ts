/**
 * Parsers of the access-log lines (the grammar of format.ts as regular expressions): each returns
 * the fields of a line, unescaped, or undefined when the line does not follow the grammar. Used by
 * the tests to check every produced line and by the log viewer to read the files back.
 *
 * A field written `unknown` is returned as the string `unknown`; the grammar cannot tell it from a
 * value that is literally "unknown".
 */
import { unescapeField } from './escape.ts';
import {
  OUTCOMES,
  RESULT_TOKENS,
  type LogKind,
  type Outcome,
  type ResultToken,
} from './records.ts';

const reEscape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Content of a double-quoted field: no raw `"`, `\`, control or separator character. */
const Q = String.raw`"((?:[^"\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]|\\["\\]|\\x[0-9A-F]{2}|\\u[0-9A-F]{4})*)"`;
/** An unquoted address/host field. */
const T = String.raw`((?:[A-Za-z0-9._:%-]|\\x[0-9A-F]{2}|\\u[0-9A-F]{4})+)`;
const TS = String.raw`\[(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} [+-]\d{4})\]`;
const TOKENS = Object.keys(RESULT_TOKENS)
  .sort((a, b) => b.length - a.length)
  .map(reEscape)
  .join('|');
const RESULT = String.raw`(${TOKENS}) (${OUTCOMES.join('|')})\.(?: \(([^()\u0000-\u001f\u007f-\u009f]*)\))?`;
const SID = String.raw`(?: SessionID=${Q})?`;

const REPOSITORY = new RegExp(String.raw`^${T} - ${T} ${TS} - ${Q} ${RESULT}${SID} \|$`, 'u');
const AUTHENTICATION = new RegExp(
  String.raw`^${T} - ${T} - ${T} ${TS} - ${Q} ${RESULT}${SID} \|$`,
  'u',
);
const BUSINESS = new RegExp(
  String.raw`^${T} ${TS} - ${Q} ${Q} ${RESULT}(?: SessionID=${Q} Server=${Q})? RequestID=${Q} \|$`,
  'u',
);
const SESSION = new RegExp(String.raw`^${TS} ${Q} ${RESULT}(?: UserID=${Q})? \|$`, 'u');

interface ParsedCommon {
  /** The timestamp as written, `YYYY/MM/DD HH:MM:SS +HHMM`. */
  readonly timestamp: string;
  /** The instant it denotes. */
  readonly time: Date;
  /** The offset it was written in, minutes east of UTC. */
  readonly timeZoneOffsetMinutes: number;
  readonly token: ResultToken;
  readonly outcome: Outcome;
  /** The supplementary text (unescaped), if any. */
  readonly supplementary: string | undefined;
}

export interface ParsedRepositoryLine extends ParsedCommon {
  readonly log: 'repository';
  readonly authServer: string;
  readonly client: string;
  readonly user: string;
  readonly sessionId: string | undefined;
}

export interface ParsedAuthenticationLine extends ParsedCommon {
  readonly log: 'authentication';
  readonly client: string;
  readonly businessServer: string;
  readonly repositoryServer: string;
  readonly user: string;
  readonly sessionId: string | undefined;
}

export interface ParsedBusinessLine extends ParsedCommon {
  readonly log: 'business';
  readonly client: string;
  readonly user: string;
  readonly resource: string;
  readonly sessionId: string | undefined;
  readonly server: string | undefined;
  readonly requestId: string;
}

export interface ParsedSessionLine extends ParsedCommon {
  readonly log: 'session';
  readonly sessionId: string;
  readonly userId: string | undefined;
}

export type ParsedLine =
  ParsedRepositoryLine | ParsedAuthenticationLine | ParsedBusinessLine | ParsedSessionLine;

const u = (s: string | undefined): string => unescapeField(s ?? '');
const uo = (s: string | undefined): string | undefined =>
  s === undefined ? undefined : unescapeField(s);

/** The timestamp fields; undefined if the date does not exist (e.g. 2025/02/30). */
function timeOf(ts: string): { time: Date; offset: number } | undefined {
  const m = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(ts);
  if (m === null) return undefined;
  const [y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0] = m.slice(1, 7).map(Number);
  const oh = Number(m[8]);
  const om = Number(m[9]);
  const offset = (m[7] === '-' ? -1 : 1) * (oh * 60 + om);
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 || om > 59) return undefined;
  const local = new Date(0);
  local.setUTCFullYear(y, mo - 1, d);
  local.setUTCHours(h, mi, s, 0);
  if (local.getUTCDate() !== d) return undefined;
  return { time: new Date(local.getTime() - offset * 60_000), offset };
}

function common(
  ts: string | undefined,
  token: string | undefined,
  outcome: string | undefined,
  supp: string | undefined,
): ParsedCommon | undefined {
  const t = timeOf(ts ?? '');
  if (t === undefined) return undefined;
  return {
    timestamp: ts!,
    time: t.time,
    timeZoneOffsetMinutes: t.offset,
    token: token as ResultToken,
    outcome: outcome as Outcome,
    supplementary: uo(supp),
  };
}

/** Does `token` belong to `log`? (The regular expressions accept every token.) */
function tokenOf(log: LogKind, token: string | undefined): boolean {
  const entry = (RESULT_TOKENS as Record<string, { readonly logs: readonly LogKind[] }>)[
    token ?? ''
  ];
  return entry !== undefined && entry.logs.includes(log);
}

export function parseRepositoryLine(line: string): ParsedRepositoryLine | undefined {
  const m = REPOSITORY.exec(line);
  if (m === null || !tokenOf('repository', m[5])) return undefined;
  const c = common(m[3], m[5], m[6], m[7]);
  if (c === undefined) return undefined;
  return {
    log: 'repository',
    authServer: u(m[1]),
    client: u(m[2]),
    user: u(m[4]),
    sessionId: uo(m[8]),
    ...c,
  };
}

export function parseAuthenticationLine(line: string): ParsedAuthenticationLine | undefined {
  const m = AUTHENTICATION.exec(line);
  if (m === null || !tokenOf('authentication', m[6])) return undefined;
  const c = common(m[4], m[6], m[7], m[8]);
  if (c === undefined) return undefined;
  return {
    log: 'authentication',
    client: u(m[1]),
    businessServer: u(m[2]),
    repositoryServer: u(m[3]),
    user: u(m[5]),
    sessionId: uo(m[9]),
    ...c,
  };
}

export function parseBusinessLine(line: string): ParsedBusinessLine | undefined {
  const m = BUSINESS.exec(line);
  if (m === null || !tokenOf('business', m[5])) return undefined;
  const c = common(m[2], m[5], m[6], m[7]);
  if (c === undefined) return undefined;
  return {
    log: 'business',
    client: u(m[1]),
    user: u(m[3]),
    resource: u(m[4]),
    sessionId: uo(m[8]),
    server: uo(m[9]),
    requestId: u(m[10]),
    ...c,
  };
}

export function parseSessionLine(line: string): ParsedSessionLine | undefined {
  const m = SESSION.exec(line);
  if (m === null || !tokenOf('session', m[3])) return undefined;
  const c = common(m[1], m[3], m[4], m[5]);
  if (c === undefined) return undefined;
  return { log: 'session', sessionId: u(m[2]), userId: uo(m[6]), ...c };
}

/** The fields of a line of `log`, or of whichever log's grammar it follows. */
export function parseAccessLine(line: string, log?: LogKind): ParsedLine | undefined {
  switch (log) {
    case 'repository':
      return parseRepositoryLine(line);
    case 'authentication':
      return parseAuthenticationLine(line);
    case 'business':
      return parseBusinessLine(line);
    case 'session':
      return parseSessionLine(line);
    case undefined:
      return (
        parseRepositoryLine(line) ??
        parseAuthenticationLine(line) ??
        parseBusinessLine(line) ??
        parseSessionLine(line)
      );
    default: {
      const never: never = log;
      return never;
    }
  }
}

const INNER = String.raw`"((?:[^"\\]|\\["\\])*)"`;
const CERT = new RegExp(
  String.raw`^serialNumber=([0-9A-Fa-f]+|${INNER}), issuer=${INNER}, subject=${INNER}$`,
  'su',
);
const innerUnquote = (s: string): string => s.replace(/\\(["\\])/g, '$1');

/**
 * The certificate fields of a user-identification value written in the certificate form
 * (`serialNumber=…, issuer="…", subject="…"`), or undefined.
 */
export function parseCertificateIdentification(
  text: string,
): { serial: string; issuerDn: string; subjectDn: string } | undefined {
  const m = CERT.exec(text);
  if (m === null) return undefined;
  return {
    serial: m[2] === undefined ? m[1]! : innerUnquote(m[2]),
    issuerDn: innerUnquote(m[3]!),
    subjectDn: innerUnquote(m[4]!),
  };
}
