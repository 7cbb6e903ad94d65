/**
 * Key-server validation latency: each of four key servers validated alone, then all four with
 * validateAll (concurrently, as a validation run of a cluster does).
 *
 * Servers (loopback, each in its own process): two `sekisho kmip-server` (generic profile),
 * one `sekisho kmip-server --profile isklm`, and PyKMIP 0.10. Every validation runs every
 * stage (fresh TLS connection, Discover Versions, Query, a KEK Get on our servers).
 *
 * Two settings: plain loopback, where a validation is almost only CPU (our TLS handshake on
 * the same two cores as the five servers), and behind a proxy adding BENCH_LATENCY_MS
 * (default 10) each way, as key servers across a network are. The headline ratio is the
 * second: it shows whether validations overlap; the first shows the CPU floor.
 *
 * Each figure is the median of BENCH_RUNS runs (default 7) after one warm-up run. The last
 * line is the summary: `bench:keyservers: slowest_single_ms=… all_four_ms=… ratio=…
 * loopback_ratio=…`, with ratio = all_four / slowest_single (target ≤ 1.3: validating four
 * servers costs little more than validating the slowest one).
 */
import { readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { CryptographicAlgorithm, KmipClient } from '../src/kmip/index.ts';
import { kcvOf, validateAll, validateKeyServer } from '../src/keyservers/validation.ts';
import type { KekReference, NodeValidation, ValidationTarget } from '../src/keyservers/types.ts';
import { makeTestPki } from '../tests/helpers/certs.ts';
import { startKmipServerProcess } from '../tests/helpers/kmip-process.ts';
import { startPyKmipServer } from '../tests/helpers/pykmip-server.ts';
import { envNumber, fmt, median } from './stats.ts';

const RUNS = envNumber('BENCH_RUNS', 7);
const LATENCY_MS = envNumber('BENCH_LATENCY_MS', 10);

/** A loopback TCP proxy to `port` that delays every chunk by `delayMs` in each direction. */
async function latencyProxy(
  port: number,
  delayMs: number,
): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (d: Buffer) => setTimeout(() => to.write(d), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => to.destroy());
    };
    pipe(down, up);
    pipe(up, down);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const pki = makeTestPki();
const pem = (f: string): string => readFileSync(f, 'utf8');
const stoppers: (() => Promise<unknown>)[] = [];

function ensureOk(r: NodeValidation, label: string): void {
  if (!r.outcome.ok) throw new Error(`${label}: validation failed: ${r.outcome.reason}`);
}

/** A 256-bit AES KEK on our server at `port`, created with the system certificate. */
async function makeKek(port: number): Promise<KekReference> {
  const client = new KmipClient({
    host: '127.0.0.1',
    port,
    ca: pem(pki.caCert),
    cert: pem(pki.clientCert),
    key: pem(pki.clientKey),
  });
  try {
    const uid = await client.createSymmetricKey({
      algorithm: CryptographicAlgorithm.AES,
      length: 256,
      usageMask: 12,
    });
    const got = await client.get(uid);
    if (got.object.kind === 'Other') throw new Error('the KEK came back as another object');
    return { uid, kcv: kcvOf(got.object.keyBlock.keyMaterial) };
  } finally {
    client.close();
  }
}

try {
  const ours = async (label: string, args: string[]) => {
    const p = await startKmipServerProcess({ pki, args });
    stoppers.push(() => p.stop());
    return { label, port: p.port };
  };
  const servers = await Promise.all([
    ours('sekisho-a', []),
    ours('sekisho-b', []),
    ours('sekisho-isklm', ['--profile', 'isklm', '--server-type', 'master']),
    startPyKmipServer({ pki }).then((p) => {
      stoppers.push(() => p.stop());
      return { label: 'pykmip', port: p.port };
    }),
  ]);
  const targets: { label: string; target: ValidationTarget }[] = [];
  let id = 0;
  for (const s of servers) {
    const kek = s.label === 'pykmip' ? undefined : await makeKek(s.port);
    targets.push({
      label: s.label,
      target: {
        keyServer: {
          id: id,
          name: s.label,
          ip: '127.0.0.1',
          port: s.port,
          type: 'kmip',
          primary: id === 0,
          certPem: undefined,
        },
        typeConfig: { type: 'kmip', enabled: true, caCertPem: pem(pki.caCert) },
        node: { id: 'n1', name: 'node1', ipv4: 'any', ipv6: 'any' },
        systemCert: { certPem: pem(pki.clientCert), keyPem: pem(pki.clientKey) },
        kek,
      },
    });
    id++;
  }

  const cpuMs = (since: NodeJS.CpuUsage): number => {
    const u = process.cpuUsage(since);
    return (u.user + u.system) / 1000;
  };
  /** Runs the single and concurrent validations; prints and returns slowest, all four, ratio. */
  const measure = async (
    title: string,
    list: readonly { label: string; target: ValidationTarget }[],
  ): Promise<{ slowest: number; allFour: number; ratio: number }> => {
    const single = new Map<string, number[]>(list.map((t) => [t.label, []]));
    const singleCpu: number[] = [];
    const all: number[] = [];
    const allCpu: number[] = [];
    for (let run = 0; run <= RUNS; run++) {
      for (const t of list) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = await validateKeyServer(t.target);
        const ms = performance.now() - t0;
        const cpu = cpuMs(c0);
        ensureOk(r, t.label);
        if (run > 0) {
          single.get(t.label)!.push(ms);
          singleCpu.push(cpu);
        }
      }
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const rs = await validateAll(list.map((t) => t.target));
      const ms = performance.now() - t0;
      const cpu = cpuMs(c0);
      rs.forEach((r, i) => {
        ensureOk(r, list[i]!.label);
      });
      if (run > 0) {
        all.push(ms);
        allCpu.push(cpu);
      }
    }
    console.log(`${title}, median of ${RUNS} runs (after one warm-up run):`);
    let slowest = 0;
    let sum = 0;
    for (const t of list) {
      const m = median(single.get(t.label)!);
      slowest = Math.max(slowest, m);
      sum += m;
      console.log(`  ${t.label.padEnd(14)} alone        ${fmt(m, 2).padStart(8)} ms`);
    }
    const allFour = median(all);
    console.log(`  sum of the four alone       ${fmt(sum, 2).padStart(8)} ms`);
    console.log(`  validateAll (4 concurrent)  ${fmt(allFour, 2).padStart(8)} ms`);
    // Our side's CPU time (TLS handshake, KMIP coding, checks). Four validations cannot take
    // less wall time than four times this on one thread, whatever the concurrency.
    const cpuOne = median(singleCpu);
    console.log(
      `  client CPU: ${fmt(cpuOne, 2)} ms per validation alone, ${fmt(median(allCpu), 2)} ms for validateAll; ` +
        `floor of the ratio on one thread ≈ ${fmt((4 * cpuOne) / slowest, 2)} (${os.availableParallelism()} CPUs)`,
    );
    console.log(`  ratio all four / slowest one: ${fmt(allFour / slowest, 2)}\n`);
    return { slowest, allFour, ratio: allFour / slowest };
  };

  const loopback = await measure('loopback (CPU-bound)', targets);
  const proxies = await Promise.all(
    targets.map((t) => latencyProxy(t.target.keyServer.port, LATENCY_MS)),
  );
  stoppers.push(() => {
    for (const p of proxies) p.close();
    return Promise.resolve();
  });
  const remote = await measure(
    `behind a proxy adding ${LATENCY_MS} ms each way`,
    targets.map((t, i) => ({
      label: t.label,
      target: { ...t.target, keyServer: { ...t.target.keyServer, port: proxies[i]!.port } },
    })),
  );
  console.log(
    `bench:keyservers: slowest_single_ms=${fmt(remote.slowest, 2)} all_four_ms=${fmt(remote.allFour, 2)} ` +
      `ratio=${fmt(remote.ratio, 2)} latency_ms=${LATENCY_MS} loopback_slowest_ms=${fmt(loopback.slowest, 2)} ` +
      `loopback_all_four_ms=${fmt(loopback.allFour, 2)} loopback_ratio=${fmt(loopback.ratio, 2)}`,
  );
} finally {
  await Promise.allSettled(stoppers.map((f) => f()));
  rmSync(pki.dir, { recursive: true, force: true });
}
