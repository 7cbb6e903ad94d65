// A real `sekisho start` process on a data directory and an ephemeral loopback port, ready
// when it has printed its banner; stopped by signal. Used by the tests of the main job.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { SEKISHO_BIN } from './kmip-process.ts';

export interface StartedSekisho {
  readonly child: ChildProcessWithoutNullStreams;
  /** `https://127.0.0.1:PORT` */
  readonly origin: string;
  /** Everything it printed so far (standard output and error). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves the exit code; at once if it has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function startSekisho(dataDir: string): Promise<StartedSekisho> {
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', SEKISHO_BIN, 'start', '--listen', '127.0.0.1:0'],
    { env: { ...process.env, SEKISHO_DATA_DIR: dataDir } },
  );
  let out = '';
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> =>
    child.exitCode !== null
      ? Promise.resolve(child.exitCode)
      : new Promise((resolve) => {
          child.once('exit', resolve);
          child.kill(signal);
        });
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /sign-on +(https:\/\/127\.0\.0\.1:\d+)\/sso\/signon/.exec(out);
      if (m && out.includes('Stop with Ctrl-C')) {
        resolve({ child, origin: m[1]!, output: () => out, stop });
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`sekisho start exited (${String(code)}):\n${out}`));
    });
  });
}
