/**
 * npm run bench:kmip — TTLV codec throughput and KMIP Query round trips per second.
 *
 * Prints, side by side and measured in the same run:
 *  - TTLV decode and encode of PyKMIP's Query response (464 bytes): MB/s and messages/s;
 *  - Query(Server Information) round trips per second over one TLS connection for
 *      ours→ours      our client, `sekisho kmip-server` in its own process,
 *      ours→PyKMIP    our client, PyKMIP 0.10's server,
 *      PyKMIP→PyKMIP  PyKMIP's client and server (the baseline);
 *  - the ratio of ours→ours to the baseline.
 * Each figure is the median of BENCH_RUNS runs (default 3) of BENCH_SECONDS (default 5).
 * The last line is the summary: `bench:kmip: key=value …`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  KmipClient,
  QueryFunction,
  decodeTtlv,
  encodeTtlv,
  hexToBytes,
} from '../src/kmip/index.ts';
import { makeTestPki, type TestPki } from '../tests/helpers/certs.ts';
import { startPyKmipServer } from '../tests/helpers/pykmip-server.ts';
import {
  pyKmipClientArgs,
  runPyKmipClient,
  type PyKmipBenchResult,
} from '../tests/helpers/pykmip-client.ts';
import { envNumber, fmt, median, percentile } from './stats.ts';

const SECONDS = envNumber('BENCH_SECONDS', 5);
const RUNS = envNumber('BENCH_RUNS', 3);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Vectors {
  vectors: { name: string; response_hex: string }[];
}

function codecBench(): {
  decodeMBs: number;
  decodeMsgs: number;
  encodeMBs: number;
  encodeMsgs: number;
  bytes: number;
} {
  const file = JSON.parse(
    readFileSync(new URL('../tests/vectors/kmip/pykmip-0.10.json', import.meta.url), 'utf8'),
  ) as Vectors;
  const hex = file.vectors.find((v) => v.name === 'query_ops_objs_info')!.response_hex;
  const msg = hexToBytes(hex);
  const node = decodeTtlv(msg);
  const time = (fn: () => void): number => {
    // Calibrate to ~0.5 s per run, then time whole batches.
    let n = 1000;
    for (;;) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      const dt = performance.now() - t;
      if (dt > 100) {
        n = Math.ceil((n * 500) / dt);
        break;
      }
      n *= 4;
    }
    const rates: number[] = [];
    for (let r = 0; r < Math.max(5, RUNS); r++) {
      const t = performance.now();
      for (let i = 0; i < n; i++) fn();
      rates.push(n / ((performance.now() - t) / 1000));
    }
    return median(rates);
  };
  const decodeMsgs = time(() => decodeTtlv(msg));
  const encodeMsgs = time(() => encodeTtlv(node));
  return {
    bytes: msg.length,
    decodeMsgs,
    decodeMBs: (decodeMsgs * msg.length) / 1e6,
    encodeMsgs,
    encodeMBs: (encodeMsgs * msg.length) / 1e6,
  };
}

interface RoundTrips {
  perSecond: number;
  p50: number;
  p99: number;
}

async function clientLoop(host: string, port: number, pki: TestPki): Promise<RoundTrips> {
  const client = new KmipClient({
    host,
    port,
    ca: readFileSync(pki.caCert),
    cert: readFileSync(pki.clientCert),
    key: readFileSync(pki.clientKey),
    servername: 'localhost',
  });
  try {
    await client.negotiateVersion();
    for (let i = 0; i < 200; i++) await client.query([QueryFunction.QueryServerInformation]);
    const lat: number[] = [];
    const end = performance.now() + SECONDS * 1000;
    const start = performance.now();
    let t = start;
    while (t < end) {
      await client.query([QueryFunction.QueryServerInformation]);
      const now = performance.now();
      lat.push(now - t);
      t = now;
    }
    return {
      perSecond: lat.length / ((t - start) / 1000),
      p50: percentile(lat, 50),
      p99: percentile(lat, 99),
    };
  } finally {
    client.close();
  }
}

/** `sekisho kmip-server` in its own process, as deployed. */
async function startOurServer(pki: TestPki): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      `${ROOT}bin/sekisho.js`,
      'kmip-server',
      '--host', '127.0.0.1', '--port', '0',
      '--ca', pki.caCert, '--cert', pki.serverCert, '--key', pki.serverKey,
    ], // prettier-ignore
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => {
      reject(new Error(`kmip-server exited early (${String(code)}): ${out}`));
    });
  });
  return {
    port,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function median3(rs: readonly RoundTrips[]): RoundTrips {
  return {
    perSecond: median(rs.map((r) => r.perSecond)),
    p50: median(rs.map((r) => r.p50)),
    p99: median(rs.map((r) => r.p99)),
  };
}

async function main(): Promise<void> {
  console.log(
    `# bench:kmip on ${os.cpus().length} × ${os.cpus()[0]?.model ?? '?'}, Node ${process.version}`,
  );
  console.log(
    `# ${RUNS} runs × ${SECONDS} s each, medians; one TLS connection, lock-step requests\n`,
  );

  const codec = codecBench();
  console.log(
    `TTLV decode  ${fmt(codec.decodeMBs)} MB/s  ${fmt(codec.decodeMsgs, 0)} msg/s  (Query response, ${codec.bytes} bytes)`,
  );
  console.log(`TTLV encode  ${fmt(codec.encodeMBs)} MB/s  ${fmt(codec.encodeMsgs, 0)} msg/s\n`);

  const pki = makeTestPki();
  const ours = await startOurServer(pki);
  const py = await startPyKmipServer({ pki });
  try {
    const oursRuns: RoundTrips[] = [];
    const mixedRuns: RoundTrips[] = [];
    const baseRuns: RoundTrips[] = [];
    // Interleave the three pairs so that machine noise hits them alike.
    for (let r = 0; r < RUNS; r++) {
      oursRuns.push(await clientLoop('127.0.0.1', ours.port, pki));
      mixedRuns.push(await clientLoop(py.host, py.port, pki));
      const b = (await runPyKmipClient(
        [...pyKmipClientArgs(py), 'bench', '--seconds', String(SECONDS)],
        { timeoutMs: (SECONDS + 60) * 1000 },
      )) as PyKmipBenchResult;
      baseRuns.push({ perSecond: b.per_second, p50: b.p50_ms ?? NaN, p99: b.p99_ms ?? NaN });
    }
    const o = median3(oursRuns);
    const m = median3(mixedRuns);
    const b = median3(baseRuns);
    const row = (name: string, x: RoundTrips): string =>
      `${name.padEnd(16)} ${fmt(x.perSecond, 0).padStart(8)} /s   p50 ${fmt(x.p50, 3)} ms   p99 ${fmt(x.p99, 3)} ms   ×${fmt(x.perSecond / b.perSecond, 2)} baseline`;
    console.log('Query(Server Information) round trips over one TLS connection');
    console.log(row('ours→ours', o));
    console.log(row('ours→PyKMIP', m));
    console.log(row('PyKMIP→PyKMIP', b));
    console.log(
      `\nbench:kmip: decode_mb_s=${codec.decodeMBs.toFixed(0)} encode_mb_s=${codec.encodeMBs.toFixed(0)} ` +
        `ours_rt_s=${o.perSecond.toFixed(0)} ours_pykmip_rt_s=${m.perSecond.toFixed(0)} ` +
        `pykmip_rt_s=${b.perSecond.toFixed(0)} ratio=${(o.perSecond / b.perSecond).toFixed(1)}`,
    );
  } finally {
    await ours.stop();
    await py.stop();
  }
}

await main();
