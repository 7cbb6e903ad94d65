/**
 * The writer of one access-log file (reference §6, J-LOG5, J-LOG6):
 *
 * - Lines are buffered and appended through one append-mode file handle: the buffer is written
 *   when it holds {@link AccessLogWriterOptions.flushBytes} (64 KiB) or
 *   {@link AccessLogWriterOptions.flushIntervalMs} (200 ms) after its first line, and by
 *   `flush()` / `close()`, which resolve once every line appended before them is on disk (a clean
 *   stop loses no line). `append` does no file-system call.
 * - When the next line would take the file beyond `maxBytes`, the file is saved and a new one
 *   started, at a line boundary: `separate` renames `name.log` to `name.log.YYYYMMDDhhmmss`
 *   (local time; `.1`, `.2`… appended if that name exists) and keeps at most `keep` saved
 *   files, deleting the oldest; `overwrite` renames it to `name.log.old`, replacing the
 *   previous one.
 * - A write that fails (EACCES, ENOSPC, a missing directory, …) never reaches the caller: the
 *   lines of that batch are dropped, `onError` is called once for the failure episode (so that
 *   the caller can raise a system-log message) and the file is opened again at the next batch;
 *   the first batch written successfully ends the episode.
 */
import { open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const ROTATION_MODES = ['separate', 'overwrite'] as const;
export type RotationMode = (typeof ROTATION_MODES)[number];

export interface AccessLogWriterOptions {
  /** The log file, e.g. `/var/log/sekisho/repository.log`. */
  readonly path: string;
  /** Size in bytes at which the file is saved and a new one started; default 1 MiB; 0 = never. */
  readonly maxBytes?: number | undefined;
  /** How the full file is saved; default `separate`. */
  readonly rotation?: RotationMode | undefined;
  /** `separate` mode: saved files kept at most (older ones deleted); default 10; 0 = all. */
  readonly keep?: number | undefined;
  /** Buffered bytes that trigger a write; default 65,536. */
  readonly flushBytes?: number | undefined;
  /** Longest time a line waits in the buffer, milliseconds; default 200. */
  readonly flushIntervalMs?: number | undefined;
  /** Called once per failure episode with the error that started it. */
  readonly onError?: ((err: Error) => void) | undefined;
  /** Clock for the names of saved files; default `new Date()`. */
  readonly now?: (() => Date) | undefined;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_KEEP = 10;
const DEFAULT_FLUSH_BYTES = 64 * 1024;
const DEFAULT_FLUSH_INTERVAL_MS = 200;

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** `YYYYMMDDhhmmss` in local time. */
export function rotationStamp(d: Date): string {
  return (
    String(d.getFullYear()).padStart(4, '0') +
    pad2(d.getMonth() + 1) +
    pad2(d.getDate()) +
    pad2(d.getHours()) +
    pad2(d.getMinutes()) +
    pad2(d.getSeconds())
  );
}

const SAVED_SUFFIX = /^\.(\d{14})(?:\.(\d+))?$/;

function toError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

export class AccessLogWriter {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #rotation: RotationMode;
  readonly #keep: number;
  readonly #flushBytes: number;
  readonly #flushIntervalMs: number;
  readonly #onError: ((err: Error) => void) | undefined;
  readonly #now: () => Date;

  #lines: string[] = [];
  #sizes: number[] = [];
  #buffered = 0;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  #drainQueued = false;
  #handle: FileHandle | undefined;
  #size = 0;
  #failing = false;
  #closed = false;
  #dropped = 0;

  constructor(options: AccessLogWriterOptions) {
    this.path = options.path;
    this.#maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.#rotation = options.rotation ?? 'separate';
    this.#keep = options.keep ?? DEFAULT_KEEP;
    this.#flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES;
    this.#flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
    this.#onError = options.onError;
    this.#now = options.now ?? (() => new Date());
  }

  /** Lines dropped because the file could not be written (since the writer was created). */
  get droppedLines(): number {
    return this.#dropped;
  }

  /** Whether the last write failed (a failure episode is under way). */
  get failing(): boolean {
    return this.#failing;
  }

  /**
   * Appends one line (without its line feed; a CR or LF inside is written `\x0D`/`\x0A` so that
   * it stays one line). Ignored after `close()`.
   */
  append(line: string): void {
    if (this.#closed) return;
    const text = /[\r\n]/.test(line) ? line.replace(/\r/g, '\\x0D').replace(/\n/g, '\\x0A') : line;
    // Kept without its line feed (one string less per line); #drain adds them when joining.
    const size = Buffer.byteLength(text) + 1;
    this.#lines.push(text);
    this.#sizes.push(size);
    this.#buffered += size;
    if (this.#buffered >= this.#flushBytes) {
      this.#queueDrain();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#queueDrain();
      }, this.#flushIntervalMs);
      this.#timer.unref();
    }
  }

  /** Resolves when every line appended so far has been written (or dropped on failure). */
  flush(): Promise<void> {
    this.#clearTimer();
    this.#chain = this.#chain.then(() => this.#drain());
    return this.#chain;
  }

  /** Writes every buffered line and closes the file; later appends are ignored. */
  async close(): Promise<void> {
    if (this.#closed) return this.#chain;
    this.#closed = true;
    await this.flush();
    this.#chain = this.#chain.then(() => this.#closeHandle());
    return this.#chain;
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
  }

  #queueDrain(): void {
    this.#clearTimer();
    if (this.#drainQueued) return;
    this.#drainQueued = true;
    this.#chain = this.#chain.then(() => {
      this.#drainQueued = false;
      return this.#drain();
    });
  }

  /** Writes the buffer, rotating at line boundaries; never rejects. */
  async #drain(): Promise<void> {
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    const sizes = this.#sizes;
    this.#lines = [];
    this.#sizes = [];
    this.#buffered = 0;
    let i = 0;
    try {
      let fh = await this.#openHandle();
      while (i < lines.length) {
        // The lines that fit in the current file (at least one in an empty file).
        let j = i;
        let bytes = 0;
        while (j < lines.length) {
          const next = sizes[j]!;
          const full = this.#maxBytes > 0 && this.#size + bytes + next > this.#maxBytes;
          if (full && this.#size + bytes > 0) break;
          bytes += next;
          j++;
        }
        if (j > i) {
          await fh.write(lines.slice(i, j).join('\n') + '\n');
          this.#size += bytes;
          i = j;
        }
        if (i < lines.length) fh = await this.#rotate();
      }
      if (this.#failing) this.#failing = false;
    } catch (e) {
      this.#dropped += lines.length - i;
      await this.#closeHandle();
      if (!this.#failing) {
        this.#failing = true;
        try {
          this.#onError?.(toError(e));
        } catch {
          // The caller's handler must not break the writer.
        }
      }
    }
  }

  async #openHandle(): Promise<FileHandle> {
    if (this.#handle !== undefined) return this.#handle;
    const fh = await open(this.path, 'a', 0o640);
    try {
      this.#size = (await fh.stat()).size;
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
    this.#handle = fh;
    return fh;
  }

  async #closeHandle(): Promise<void> {
    const fh = this.#handle;
    this.#handle = undefined;
    if (fh !== undefined) await fh.close().catch(() => undefined);
  }

  /** Saves the full file and opens a new one. */
  async #rotate(): Promise<FileHandle> {
    await this.#closeHandle();
    if (this.#rotation === 'overwrite') {
      await rename(this.path, this.path + '.old');
    } else {
      const base = this.path + '.' + rotationStamp(this.#now());
      let target = base;
      for (let n = 1; await exists(target); n++) target = `${base}.${n}`;
      await rename(this.path, target);
      if (this.#keep > 0) await this.#prune();
    }
    return this.#openHandle();
  }

  /** Deletes the oldest saved files beyond `keep`. */
  async #prune(): Promise<void> {
    const dir = dirname(this.path);
    const name = basename(this.path);
    const saved: { file: string; stamp: string; n: number }[] = [];
    for (const file of await readdir(dir)) {
      if (!file.startsWith(name)) continue;
      const m = SAVED_SUFFIX.exec(file.slice(name.length));
      if (m !== null) saved.push({ file, stamp: m[1]!, n: m[2] === undefined ? 0 : Number(m[2]) });
    }
    saved.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.n - b.n));
    for (const s of saved.slice(0, Math.max(0, saved.length - this.#keep))) {
      await unlink(join(dir, s.file)).catch(() => undefined);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `file` is a file name that `separate` mode gives to a saved copy of `logName`. */
export function isSavedLogName(logName: string, file: string): boolean {
  return file.startsWith(logName) && SAVED_SUFFIX.test(file.slice(logName.length));
}
