/**
 * A strict LDIF parser (RFC 2849): content records and add/delete/modify change records.
 *
 * One linear scan: physical lines are found with `indexOf`, folded lines are collected as pieces
 * and joined once per logical line, records are handled when a blank line (or the end) closes
 * them. Nothing partial is returned: the first error throws an {@link LdifError}.
 */
import {
  decodeBase64Strict,
  decodeUtf8,
  isAttributeDescription,
  isBinaryAttribute,
} from './attributes.ts';
import { parseDn } from './dn.ts';
import { LdifError, type LdifErrorCode } from './errors.ts';
import {
  DEFAULT_LDIF_LIMITS,
  LDIF_MODIFY_OPS,
  type LdifAttribute,
  type LdifLimits,
  type LdifModification,
  type LdifModifyOp,
  type LdifRecord,
  type LdifValue,
} from './types.ts';

/** One logical line (folding undone) and the physical line where it starts. */
interface Line {
  readonly text: string;
  readonly line: number;
}

/** A line split into `name`, the kind of value and the raw value text (after FILL). */
interface Split {
  readonly name: string;
  readonly lname: string;
  readonly kind: 'plain' | 'base64';
  readonly raw: string;
  readonly line: number;
}

type ResolvedLimits = { readonly [K in keyof typeof DEFAULT_LDIF_LIMITS]: number };

const MODIFY_OPS: ReadonlySet<string> = new Set(LDIF_MODIFY_OPS);
/** Slack for the attribute description and separators when bounding a line's length. */
const NAME_SLACK = 4096;

function resolveLimits(limits: LdifLimits): ResolvedLimits {
  const r = { ...DEFAULT_LDIF_LIMITS, ...limits };
  for (const [k, v] of Object.entries(r)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`LDIF limit ${k} must be an integer >= 0`);
  }
  return r;
}

/**
 * Parses LDIF text (RFC 2849). Records are returned in file order; a content record (no
 * `changetype`) is an `add` record. Throws {@link LdifError} on the first error, with the
 * line and record where it was found.
 *
 * Rejected: `attr:< URL` values (`LDIF_URL_FORBIDDEN`), `control:` lines and
 * `changetype: modrdn`/`moddn` (`LDIF_UNSUPPORTED`), a file mixing content and change records,
 * folded continuation without a line to continue, a bare CR, NUL, lone surrogates.
 */
export function parseLdif(text: string, limits: LdifLimits = {}): LdifRecord[] {
  const lim = resolveLimits(limits);
  if (text.length > lim.maxBytes || Buffer.byteLength(text, 'utf8') > lim.maxBytes) {
    throw new LdifError('LDIF_LIMIT', `input larger than ${lim.maxBytes} bytes`, 1, 1);
  }
  if (!text.isWellFormed()) {
    const m = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.exec(text);
    const at = m?.index ?? 0;
    const line = lineOf(text, at);
    throw new LdifError(
      'LDIF_BAD_UTF8',
      'lone UTF-16 surrogate in the input',
      line,
      recordOf(text, at),
    );
  }
  return new Parser(text.startsWith('\uFEFF') ? text.slice(1) : text, lim).run();
}

/**
 * Parses LDIF bytes: strict UTF-8 (a leading BOM is skipped); invalid UTF-8 is `LDIF_BAD_UTF8`
 * naming the line. Then as {@link parseLdif}.
 */
export function parseLdifBytes(bytes: Uint8Array, limits: LdifLimits = {}): LdifRecord[] {
  const lim = resolveLimits(limits);
  if (bytes.byteLength > lim.maxBytes) {
    throw new LdifError('LDIF_LIMIT', `input larger than ${lim.maxBytes} bytes`, 1, 1);
  }
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const body = bytes.subarray(start);
  const text = decodeUtf8(body);
  if (text === undefined) {
    const at = firstInvalidUtf8(body);
    let lineStart = at;
    while (lineStart > 0 && body[lineStart - 1] !== 0x0a) lineStart--;
    const prefix = decodeUtf8(body.subarray(0, lineStart)) ?? '';
    throw new LdifError(
      'LDIF_BAD_UTF8',
      `invalid UTF-8 byte 0x${body[at]!.toString(16).padStart(2, '0')}`,
      lineOf(prefix, prefix.length),
      recordOf(prefix, prefix.length),
    );
  }
  return new Parser(text, lim).run();
}

/** 1-based line of the UTF-16 offset `at`. */
function lineOf(text: string, at: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < at; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Record number (1-based) of the line holding offset `at`: records started before, plus one. */
function recordOf(text: string, at: number): number {
  let records = 0;
  let inRecord = false;
  let first = true;
  let pos = 0;
  while (pos < at) {
    let end = text.indexOf('\n', pos);
    if (end === -1 || end > at) end = at;
    const l = text.slice(pos, end).replace(/\r$/, '');
    if (l === '') inRecord = false;
    else if (!l.startsWith('#') && !l.startsWith(' ')) {
      const isVersion = first && /^version:/i.test(l);
      first = false;
      if (!inRecord && !isVersion) {
        records++;
        inRecord = true;
      }
    }
    pos = end + 1;
  }
  // The offending line itself opens a record when it is not inside one.
  return inRecord ? records : records + 1;
}

/** Offset of the first byte that breaks UTF-8 (overlongs, surrogates, > U+10FFFF included). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) need = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      if (c === 0xe0) lo = 0xa0;
      if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      if (c === 0xf0) lo = 0x90;
      if (c === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const d = b[i + k];
      if (d === undefined) return i;
      if (k === 1 ? d < lo || d > hi : d < 0x80 || d > 0xbf) return i;
    }
    i += need + 1;
  }
  return n;
}

class Parser {
  readonly #text: string;
  readonly #lim: ResolvedLimits;
  readonly #maxLineChars: number;
  readonly #records: LdifRecord[] = [];
  #fileKind: 'content' | 'changes' | undefined;
  #firstLine = true;

  constructor(text: string, lim: ResolvedLimits) {
    this.#text = text;
    this.#lim = lim;
    this.#maxLineChars = Math.ceil(lim.maxValueBytes / 3) * 4 + NAME_SLACK;
  }

  #fail(code: LdifErrorCode, reason: string, line: number): never {
    throw new LdifError(code, reason, line, this.#records.length + 1);
  }

  run(): LdifRecord[] {
    const text = this.#text;
    const n = text.length;
    let group: Line[] = [];
    let pieces: string[] = [];
    let pieceChars = 0;
    let startLine = 0;
    let open = false; // a logical line is being collected
    let lineNo = 0;
    let pos = 0;

    const closeLine = (): void => {
      if (!open) return;
      open = false;
      const first = pieces[0]!;
      if (!first.startsWith('#')) {
        group.push({ text: pieces.length === 1 ? first : pieces.join(''), line: startLine });
      }
      pieces = [];
      pieceChars = 0;
    };

    while (pos < n) {
      lineNo++;
      let end = text.indexOf('\n', pos);
      if (end === -1) end = n;
      let line = text.slice(pos, end);
      pos = end + 1;
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line.includes('\r'))
        this.#fail('LDIF_SYNTAX', 'carriage return without line feed', lineNo);
      if (line.includes('\0')) this.#fail('LDIF_SYNTAX', 'NUL character', lineNo);
      if (line.length === 0) {
        closeLine();
        if (group.length > 0) this.#record(group);
        group = [];
        continue;
      }
      if (line.charCodeAt(0) === 0x20) {
        if (!open) this.#fail('LDIF_SYNTAX', 'continuation line with no line to continue', lineNo);
        pieces.push(line.slice(1));
        pieceChars += line.length - 1;
      } else {
        closeLine();
        open = true;
        startLine = lineNo;
        pieces.push(line);
        pieceChars = line.length;
      }
      if (pieceChars > this.#maxLineChars) {
        this.#fail('LDIF_LIMIT', `line longer than ${this.#maxLineChars} characters`, startLine);
      }
    }
    closeLine();
    if (group.length > 0) this.#record(group);
    return this.#records;
  }

  #split(l: Line): Split {
    const t = l.text;
    const colon = t.indexOf(':');
    if (colon <= 0) this.#fail('LDIF_SYNTAX', 'expected "attribute: value"', l.line);
    const name = t.slice(0, colon);
    const next = t.charCodeAt(colon + 1);
    if (next === 0x3c /* < */) {
      this.#fail(
        'LDIF_URL_FORBIDDEN',
        `value of ${name} given by URL ("${name}:<") is not accepted`,
        l.line,
      );
    }
    if (!isAttributeDescription(name)) {
      this.#fail('LDIF_SYNTAX', `invalid attribute name ${JSON.stringify(truncate(name))}`, l.line);
    }
    const base64 = next === 0x3a; /* : */
    let i = base64 ? colon + 2 : colon + 1;
    while (t.charCodeAt(i) === 0x20) i++;
    const raw = t.slice(i);
    if (!base64 && (raw.startsWith(':') || raw.startsWith('<'))) {
      this.#fail(
        'LDIF_SYNTAX',
        `plain value of ${name} starts with "${raw[0]!}" (base64 "::" or URL ":<" meant?)`,
        l.line,
      );
    }
    return {
      name,
      lname: name.toLowerCase(),
      kind: base64 ? 'base64' : 'plain',
      raw,
      line: l.line,
    };
  }

  #bytes(s: Split): Uint8Array {
    const max = this.#lim.maxValueBytes;
    if (s.raw.length > Math.ceil(max / 3) * 4) {
      this.#fail('LDIF_LIMIT', `value of ${s.name} larger than ${max} bytes`, s.line);
    }
    const bytes = decodeBase64Strict(s.raw);
    if (bytes === undefined)
      this.#fail('LDIF_BAD_BASE64', `malformed base64 value of ${s.name}`, s.line);
    if (bytes.byteLength > max)
      this.#fail('LDIF_LIMIT', `value of ${s.name} larger than ${max} bytes`, s.line);
    return bytes;
  }

  #value(s: Split): LdifValue {
    if (s.kind === 'plain') {
      const max = this.#lim.maxValueBytes;
      if (s.raw.length > max || (s.raw.length * 3 > max && Buffer.byteLength(s.raw) > max)) {
        this.#fail('LDIF_LIMIT', `value of ${s.name} larger than ${max} bytes`, s.line);
      }
      return s.raw;
    }
    const bytes = this.#bytes(s);
    if (isBinaryAttribute(s.name)) return bytes;
    return decodeUtf8(bytes) ?? bytes;
  }

  #plain(s: Split, what: string): string {
    if (s.kind !== 'plain') this.#fail('LDIF_SYNTAX', `${what} must not be base64`, s.line);
    return s.raw;
  }

  #record(group: Line[]): void {
    const lines = group;
    if (this.#firstLine) {
      this.#firstLine = false;
      const first = lines[0]!;
      if (/^version:/i.test(first.text)) {
        const s = this.#split(first);
        if (this.#plain(s, 'version') !== '1') {
          this.#fail('LDIF_UNSUPPORTED', `LDIF version ${JSON.stringify(s.raw)} (only 1)`, s.line);
        }
        lines.shift();
        if (lines.length === 0) return;
      }
    }
    if (this.#records.length >= this.#lim.maxRecords) {
      this.#fail('LDIF_LIMIT', `more than ${this.#lim.maxRecords} records`, lines[0]!.line);
    }
    const head = this.#split(lines[0]!);
    if (head.lname !== 'dn') this.#fail('LDIF_SYNTAX', 'a record must begin with "dn:"', head.line);
    const dn = this.#dn(head);
    let i = 1;
    let changetype = 'content';
    const at = lines[i];
    if (at !== undefined) {
      const s = this.#split(at);
      if (s.lname === 'control')
        this.#fail('LDIF_UNSUPPORTED', 'LDAP controls ("control:") are not supported', s.line);
      if (s.lname === 'changetype') {
        const v = this.#plain(s, 'changetype').toLowerCase();
        if (v === 'modrdn' || v === 'moddn') {
          this.#fail(
            'LDIF_UNSUPPORTED',
            `changetype ${v} (renaming entries) is not supported`,
            s.line,
          );
        }
        if (v !== 'add' && v !== 'delete' && v !== 'modify') {
          this.#fail(
            'LDIF_SYNTAX',
            `unknown changetype ${JSON.stringify(truncate(s.raw))}`,
            s.line,
          );
        }
        changetype = v;
        i++;
      }
    }
    const kind = changetype === 'content' ? 'content' : 'changes';
    if (this.#fileKind === undefined) this.#fileKind = kind;
    else if (this.#fileKind !== kind) {
      this.#fail(
        'LDIF_SYNTAX',
        'a file holds either content records or change records, not both',
        head.line,
      );
    }
    switch (changetype) {
      case 'delete':
        if (i < lines.length)
          this.#fail('LDIF_SYNTAX', 'a delete record has no other lines', lines[i]!.line);
        this.#records.push({ changetype: 'delete', dn });
        return;
      case 'modify':
        this.#records.push({ changetype: 'modify', dn, changes: this.#modify(lines, i) });
        return;
      default:
        this.#records.push({ changetype: 'add', dn, attributes: this.#add(lines, i, head.line) });
    }
  }

  #dn(s: Split): string {
    let dn: string;
    if (s.kind === 'plain') dn = s.raw;
    else {
      const text = decodeUtf8(this.#bytes(s));
      if (text === undefined) this.#fail('LDIF_BAD_UTF8', 'base64 DN is not UTF-8', s.line);
      dn = text;
    }
    if (dn.length === 0)
      this.#fail('LDIF_BAD_DN', 'empty DN (the root DSE cannot be changed)', s.line);
    try {
      parseDn(dn);
    } catch (e) {
      if (e instanceof LdifError) this.#fail(e.code, e.reason, s.line);
      throw e;
    }
    return dn;
  }

  /** Rejects the reserved names inside a record body. */
  #body(s: Split): void {
    if (s.lname === 'dn') this.#fail('LDIF_SYNTAX', 'a second "dn:" in one record', s.line);
    if (s.lname === 'changetype')
      this.#fail('LDIF_SYNTAX', '"changetype:" must directly follow "dn:"', s.line);
    if (s.lname === 'control')
      this.#fail('LDIF_UNSUPPORTED', 'LDAP controls ("control:") are not supported', s.line);
  }

  #add(lines: readonly Line[], from: number, dnLine: number): LdifAttribute[] {
    const attributes: LdifAttribute[] = [];
    if (from >= lines.length)
      this.#fail('LDIF_SYNTAX', 'an entry needs at least one attribute', dnLine);
    for (let i = from; i < lines.length; i++) {
      const s = this.#split(lines[i]!);
      this.#body(s);
      if (attributes.length >= this.#lim.maxAttributesPerEntry) {
        this.#fail(
          'LDIF_LIMIT',
          `more than ${this.#lim.maxAttributesPerEntry} attribute values in one record`,
          s.line,
        );
      }
      attributes.push({ name: s.name, value: this.#value(s) });
    }
    return attributes;
  }

  #modify(lines: readonly Line[], from: number): LdifModification[] {
    const changes: LdifModification[] = [];
    let count = 0;
    let i = from;
    while (i < lines.length) {
      const s = this.#split(lines[i]!);
      this.#body(s);
      if (!MODIFY_OPS.has(s.lname)) {
        this.#fail(
          'LDIF_SYNTAX',
          `expected "add:", "delete:" or "replace:", not "${truncate(s.name)}:"`,
          s.line,
        );
      }
      const op = s.lname as LdifModifyOp;
      const attribute = this.#plain(s, `the attribute of ${op}:`);
      if (!isAttributeDescription(attribute)) {
        this.#fail(
          'LDIF_SYNTAX',
          `invalid attribute name ${JSON.stringify(truncate(attribute))}`,
          s.line,
        );
      }
      const lattr = attribute.toLowerCase();
      const values: LdifValue[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        const l = lines[i]!;
        if (/^- *$/.test(l.text)) {
          closed = true;
          i++;
          break;
        }
        const v = this.#split(l);
        if (v.lname !== lattr) {
          this.#body(v);
          if (MODIFY_OPS.has(v.lname)) {
            this.#fail(
              'LDIF_SYNTAX',
              `"-" expected to end the ${op} of ${attribute} (line ${s.line})`,
              v.line,
            );
          }
          this.#fail('LDIF_SYNTAX', `value of ${v.name} inside the ${op} of ${attribute}`, v.line);
        }
        if (++count > this.#lim.maxAttributesPerEntry) {
          this.#fail(
            'LDIF_LIMIT',
            `more than ${this.#lim.maxAttributesPerEntry} attribute values in one record`,
            v.line,
          );
        }
        values.push(this.#value(v));
      }
      if (!closed)
        this.#fail('LDIF_SYNTAX', `the ${op} of ${attribute} is not ended by "-"`, s.line);
      if (op === 'add' && values.length === 0) {
        this.#fail('LDIF_SYNTAX', `add of ${attribute} needs at least one value`, s.line);
      }
      changes.push({ op, attribute, values });
    }
    return changes;
  }
}

function truncate(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
