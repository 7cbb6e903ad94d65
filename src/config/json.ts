/**
 * A strict JSON parser for the configuration file. `JSON.parse` is not used because its errors
 * do not reliably name a line and column, it keeps the last of duplicate keys silently, and it
 * gives `__proto__` no special care. Objects here have a null prototype, so no key of the file
 * can reach `Object.prototype`.
 */

/** A syntax error at a 1-based line and column. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`line ${line}, column ${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

/** Deepest nesting accepted (the schema needs 2; this bounds the recursion). */
const MAX_DEPTH = 32;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** Parses strict JSON (RFC 8259; a leading byte-order mark is allowed). */
export function parseJson(text: string): unknown {
  let i = text.startsWith('\uFEFF') ? 1 : 0;

  const fail = (message: string, at = i): never => {
    let line = 1;
    let start = 0;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text[k] === '\n') {
        line++;
        start = k + 1;
      }
    }
    throw new JsonSyntaxError(message, line, at - start + 1);
  };
  const describe = (): string => {
    const c = text[i];
    if (c === undefined) return 'unexpected end of input';
    if (c === '/') return 'unexpected "/" (comments are not allowed in JSON)';
    return `unexpected ${JSON.stringify(c)}`;
  };
  const space = (): void => {
    while (i < text.length) {
      const c = text[i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') i++;
      else break;
    }
  };

  const string = (): string => {
    const open = i;
    i++; // the opening quote
    let out = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return fail('unterminated string', open);
      if (c === '"') {
        i++;
        return out;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9A-Fa-f]{4}$/.test(hex)) return fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          const r = e === undefined ? undefined : ESCAPES[e];
          if (r === undefined) return fail('invalid escape');
          out += r;
          i += 2;
        }
        continue;
      }
      if (c < ' ') return fail('control character in string');
      // Copy the run of ordinary characters at once: a long string stays linear.
      let j = i + 1;
      while (j < text.length) {
        const d = text[j]!;
        if (d === '"' || d === '\\' || d < ' ') break;
        j++;
      }
      out += text.slice(i, j);
      i = j;
    }
  };

  const value = (depth: number): unknown => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      if (depth >= MAX_DEPTH) return fail(`nesting deeper than ${MAX_DEPTH}`);
      return c === '{' ? object(depth + 1) : array(depth + 1);
    }
    if (c === '"') return string();
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m === null) return fail('invalid number');
      i += m[0].length;
      return Number(m[0]);
    }
    return fail(describe());
  };

  const object = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    const seen = new Set<string>();
    i++; // {
    space();
    if (text[i] === '}') {
      i++;
      return out;
    }
    for (;;) {
      space();
      if (text[i] !== '"') {
        return fail(
          text[i] === '}' ? 'trailing comma before "}"' : `expected a quoted key, ${describe()}`,
        );
      }
      const at = i;
      const key = string();
      if (seen.has(key)) return fail(`duplicate key ${JSON.stringify(key)}`, at);
      seen.add(key);
      space();
      if (text[i] !== ':') return fail(`expected ":", ${describe()}`);
      i++;
      out[key] = value(depth);
      space();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return out;
      }
      return fail(`expected "," or "}", ${describe()}`);
    }
  };

  const array = (depth: number): unknown[] => {
    const out: unknown[] = [];
    i++; // [
    space();
    if (text[i] === ']') {
      i++;
      return out;
    }
    for (;;) {
      space();
      if (text[i] === ']') return fail('trailing comma before "]"');
      out.push(value(depth));
      space();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return out;
      }
      return fail(`expected "," or "]", ${describe()}`);
    }
  };

  const result = value(0);
  space();
  if (i < text.length) fail(`${describe()} after the end of the value`);
  return result;
}
