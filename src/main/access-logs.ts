/**
 * The log files of a Sekisho process, as the configuration places them: the system log and one
 * rotating writer per access log (`DATA/logs/` by default). `sekisho start` and
 * `sekisho business` open them the same way.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { SekishoConfig } from '../config/index.ts';
import {
  ACCESS_LOG_FILES,
  AccessLogWriter,
  FileSystemLog,
  formatAccessLine,
  type AccessRecord,
  type LogKind,
} from '../logs/index.ts';

/** The file of each access log in the log directory (src/logs/files.ts, where readers find it). */
export { ACCESS_LOG_FILES };
export const SYSTEM_LOG_FILE = 'system.log';

export interface ProcessLogs {
  readonly dir: string;
  readonly systemLog: FileSystemLog;
  /** Formats a record and appends it to its log (buffered; never throws). */
  write(record: AccessRecord): void;
  /** Every line appended so far is on disk. */
  flush(): Promise<void>;
  /** Flushes and closes: a clean stop loses no line. */
  close(): Promise<void>;
}

/**
 * Opens the logs in `config.logs.directory` (relative to `dataDir`). A log that cannot be
 * written raises sso09003 in the system log once per failure episode; `stderr` echoes every
 * system-log line.
 */
export function openProcessLogs(
  dataDir: string,
  config: SekishoConfig,
  stderr: (line: string) => void,
): ProcessLogs {
  const dir = path.resolve(dataDir, config.logs.directory);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const systemLog = new FileSystemLog({
    path: path.join(dir, SYSTEM_LOG_FILE),
    echo: (line) => {
      stderr(line + '\n');
    },
  });
  const writer = (file: string): AccessLogWriter =>
    new AccessLogWriter({
      path: path.join(dir, file),
      maxBytes: config.logs['max-size'],
      rotation: config.logs['save-mode'],
      keep: config.logs.keep,
      onError: (e) => {
        systemLog.write('sso09003', path.join(dir, file), e.message);
      },
    });
  // Opened on first use: a process writes only some of the logs.
  const writers = new Map<LogKind, AccessLogWriter>();
  const of = (kind: LogKind): AccessLogWriter => {
    let w = writers.get(kind);
    if (w === undefined) {
      w = writer(ACCESS_LOG_FILES[kind]);
      writers.set(kind, w);
    }
    return w;
  };
  return {
    dir,
    systemLog,
    write: (record) => {
      of(record.log).append(formatAccessLine(record));
    },
    flush: async () => {
      await Promise.all([...writers.values()].map((w) => w.flush()));
    },
    close: async () => {
      await Promise.all([...writers.values()].map((w) => w.close()));
    },
  };
}
