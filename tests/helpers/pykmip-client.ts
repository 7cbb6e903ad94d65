// Run tests/helpers/pykmip-client.py (PyKMIP 0.10's own client) and parse its JSON output.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestPki } from './certs.ts';

export const PYKMIP_CLIENT_SCRIPT = fileURLToPath(new URL('./pykmip-client.py', import.meta.url));
/** Debian's interpreter: the python3 on PATH (pyenv) cannot import kmip. */
const PYTHON = '/usr/bin/python3';

export interface RunPyKmipClientOptions {
  /** Kill the client and reject after this long. Default 60 000 ms. */
  timeoutMs?: number;
}

/** Output of `suite`. */
export interface PyKmipSuiteResult {
  tls_version: string | null;
  cipher: string | null;
  versions: string[];
  vendor: string | null;
  server_information: string | null;
  operations: string[];
  object_types: string[];
  steps: { name: string; ok: boolean; detail: string }[];
}

/** Output of `bench --seconds S`. */
export interface PyKmipBenchResult {
  round_trips: number;
  seconds: number;
  per_second: number;
  p50_ms: number | null;
  p99_ms: number | null;
  errors: number;
}

/** Output of `error-noeku`. */
export interface PyKmipErrorResult {
  status: string | null;
  reason: string | null;
  message: string | null;
  versions: string[];
}

/**
 * Connection arguments for pykmip-client.py: `--host --port --ca --cert --key`.
 * `cert`/`key` default to the PKI's good client certificate.
 */
export function pyKmipClientArgs(
  target: { host: string; port: number; pki: TestPki },
  client: { cert: string; key: string } = {
    cert: target.pki.clientCert,
    key: target.pki.clientKey,
  },
): string[] {
  return [
    '--host', target.host,
    '--port', String(target.port),
    '--ca', target.pki.caCert,
    '--cert', client.cert,
    '--key', client.key,
  ]; // prettier-ignore
}

/**
 * Spawn `/usr/bin/python3 pykmip-client.py ...args` and resolve with its parsed JSON stdout.
 * Rejects (with stderr in the message) on a non-zero exit, a timeout, or stdout that is
 * not one JSON value.
 */
export function runPyKmipClient(
  args: string[],
  opts: RunPyKmipClientOptions = {},
): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONWARNINGS: 'ignore' };
  delete env['PYTHONPATH'];
  delete env['PYTHONHOME'];
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PYKMIP_CLIENT_SCRIPT, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const what = `pykmip-client.py ${args.join(' ')}`;
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString('utf8').trim();
      const err = Buffer.concat(stderr).toString('utf8').trim();
      if (timedOut) {
        reject(new Error(`${what}: timed out after ${timeoutMs} ms\n${err}`));
      } else if (code !== 0) {
        reject(new Error(`${what}: exit ${code ?? signal}\n${err}\n${out}`));
      } else {
        try {
          resolve(JSON.parse(out));
        } catch {
          reject(new Error(`${what}: stdout is not JSON: ${JSON.stringify(out)}\n${err}`));
        }
      }
    });
  });
}
