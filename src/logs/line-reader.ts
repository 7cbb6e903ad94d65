/**
 * Reading the lines of a log file in either direction, a chunk at a time, from any byte
 * boundary: memory stays bounded by the chunk size and the longest line, whatever the file's
 * size. Lines are split on LF bytes (a UTF-8 continuation byte is never 0x0A) and decoded one by
 * one; a trailing CR is not stripped (the writer never writes one).
 *
 * The bytes come through a {@link ByteSource}, so that a test can count what was read.
 */
import { open } from 'node:fs/promises';

/** An open file: its size when opened and positional reads. */
export interface OpenedFile {
  readonly size: number;
  /** Up to `length` bytes at `position` (fewer at the end of the file). */
  read(position: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Where file bytes come from. */
export interface ByteSource {
  /** Opens a file for reading; undefined when it no longer exists. */
  open(path: string): Promise<OpenedFile | undefined>;
}

/** Bytes read at a time: 64 KiB. */
export const CHUNK_BYTES = 64 * 1024;
/**
 * Longest line kept, bytes: 1 MiB. The writer's lines are far shorter (a resource is cut at
 * 2,048 characters); a longer "line" is not a log line and is reported as malformed.
 */
export const MAX_LINE_BYTES = 1024 * 1024;

/** The file system, through `node:fs/promises`. */
export const FILE_SYSTEM: ByteSource = {
  async open(path) {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    const handle = fh;
    const size = (await handle.stat()).size;
    return {
      size,
      read: async (position, length) => {
        const buf = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buf, 0, length, position);
        return buf.subarray(0, bytesRead);
      },
      close: () => handle.close(),
    };
  },
};

/** One line and where it sits: `start` is its first byte, `end` the byte after its LF. */
export interface RawLine {
  /** The line's text, without its LF; undefined when it exceeded {@link MAX_LINE_BYTES}. */
  readonly text: string | undefined;
  readonly start: number;
  readonly end: number;
}

const decoder = new TextDecoder('utf-8');

function decode(parts: readonly Uint8Array[], length: number): string | undefined {
  if (length > MAX_LINE_BYTES) return undefined;
  if (parts.length === 1) return decoder.decode(parts[0]);
  return decoder.decode(Buffer.concat(parts, length));
}

/**
 * The lines of `file` that start at or after `from` (a line boundary), oldest first, up to the
 * size the file had when opened (a line being appended meanwhile is left for the next read). An
 * unterminated last line is not returned: the writer always ends a line, so it is a line still
 * being written. O(bytes read) time; memory O(chunk + longest line).
 */
export async function* linesForward(file: OpenedFile, from = 0): AsyncGenerator<RawLine> {
  let pos = from;
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let lineStart = from;
  while (pos < file.size) {
    const chunk = await file.read(pos, Math.min(CHUNK_BYTES, file.size - pos));
    if (chunk.length === 0) break;
    let i = 0;
    for (let lf = chunk.indexOf(0x0a); lf >= 0; lf = chunk.indexOf(0x0a, i)) {
      const piece = chunk.subarray(i, lf);
      const length = pendingBytes + piece.length;
      const text = decode(pendingBytes === 0 ? [piece] : [...pending, piece], length);
      const end = pos + lf + 1;
      yield { text, start: lineStart, end };
      pending = [];
      pendingBytes = 0;
      lineStart = end;
      i = lf + 1;
    }
    if (i < chunk.length) {
      // Keep the head of an unfinished line, but never more than the longest line allowed.
      if (pendingBytes <= MAX_LINE_BYTES) pending.push(chunk.slice(i));
      pendingBytes += chunk.length - i;
    }
    pos += chunk.length;
  }
}

/**
 * The lines of `file` that end at or before `to` (a line boundary; default the size it had when
 * opened), newest first. Reads backwards a chunk at a time. A last line without its LF is not
 * returned (still being written). O(bytes read) time; memory O(chunk + longest line).
 */
export async function* linesBackward(file: OpenedFile, to = file.size): AsyncGenerator<RawLine> {
  let pos = Math.min(to, file.size);
  // Bytes after the last LF seen, newest chunk last; `tailEnd` is where that partial line ends.
  let tail: Uint8Array[] = [];
  let tailBytes = 0;
  let tailEnd = pos;
  let first = true;
  while (pos > 0) {
    const length = Math.min(CHUNK_BYTES, pos);
    const start = pos - length;
    const chunk = await file.read(start, length);
    let j = chunk.length;
    if (first) {
      // The region must end with LF; anything after the last LF is an unfinished line.
      first = false;
      const lastLf = chunk.lastIndexOf(0x0a);
      if (lastLf < 0) {
        tail = [];
        tailBytes = 0;
        tailEnd = start;
        pos = start;
        // No LF in this chunk: the unfinished line may be longer; keep looking backwards.
        first = true;
        continue;
      }
      j = lastLf; // the LF that ends the newest complete line
      tailEnd = start + lastLf + 1;
    }
    for (let lf = j > 0 ? chunk.lastIndexOf(0x0a, j - 1) : -1; ;) {
      const piece = chunk.subarray(lf + 1, j);
      if (lf < 0) {
        // The line continues in the previous chunk.
        if (tailBytes <= MAX_LINE_BYTES) tail.unshift(chunk.slice(0, j));
        tailBytes += j;
        break;
      }
      const lineStart = start + lf + 1;
      const length = tailBytes + piece.length;
      const text = decode(tailBytes === 0 ? [piece] : [piece, ...tail], length);
      yield { text, start: lineStart, end: tailEnd };
      tail = [];
      tailBytes = 0;
      tailEnd = lineStart;
      j = lf;
      lf = j > 0 ? chunk.lastIndexOf(0x0a, j - 1) : -1;
    }
    pos = start;
  }
  if (!first && tailEnd > 0) {
    yield { text: decode(tail, tailBytes), start: 0, end: tailEnd };
  }
}
