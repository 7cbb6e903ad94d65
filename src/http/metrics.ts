/**
 * `/metrics` in the Prometheus text exposition format (version 0.0.4): a few counters the SSO
 * and key-server roles increment, and the process figures an operator graphs first. Small on
 * purpose: counters with fixed label sets, no histograms.
 */

export interface CounterSpec {
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];
}

/** Prometheus label values escape `\`, `"` and newlines. */
function escapeLabel(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

export class Counter {
  readonly spec: CounterSpec;
  readonly #values = new Map<string, { labels: readonly string[]; value: number }>();
  constructor(spec: CounterSpec) {
    this.spec = spec;
  }
  inc(labels: readonly string[] = [], by = 1): void {
    if (labels.length !== this.spec.labels.length) {
      throw new RangeError(`${this.spec.name}: ${this.spec.labels.length} labels expected`);
    }
    const key = labels.join('\u0000');
    const v = this.#values.get(key);
    if (v === undefined) this.#values.set(key, { labels: [...labels], value: by });
    else v.value += by;
  }
  get(labels: readonly string[] = []): number {
    return this.#values.get(labels.join('\u0000'))?.value ?? 0;
  }
  render(): string {
    const lines = [
      `# HELP ${this.spec.name} ${this.spec.help}`,
      `# TYPE ${this.spec.name} counter`,
    ];
    for (const { labels, value } of this.#values.values()) {
      const l = labels.map((v, i) => `${this.spec.labels[i]!}="${escapeLabel(v)}"`).join(',');
      lines.push(`${this.spec.name}${l === '' ? '' : `{${l}}`} ${value}`);
    }
    return lines.join('\n');
  }
}

export interface Gauge {
  readonly name: string;
  readonly help: string;
  readonly value: () => number;
}

export class Metrics {
  readonly signOns = new Counter({
    name: 'sekisho_signon_total',
    help: 'Sign-on attempts by method (basicAuth, certAuth, basicAuthAndCertAuth, unknown) and result.',
    labels: ['method', 'result'],
  });
  readonly locks = new Counter({
    name: 'sekisho_user_locked_total',
    help: 'Users locked by consecutive password failures.',
    labels: [],
  });
  readonly httpRequests = new Counter({
    name: 'sekisho_http_requests_total',
    help: 'HTTP requests by area (sso, rest, repository, other) and status class.',
    labels: ['area', 'status'],
  });
  readonly #gauges: Gauge[] = [];
  readonly #startSeconds = Math.floor(Date.now() / 1000 - process.uptime());

  constructor() {
    this.gauge({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      value: () => process.memoryUsage.rss(),
    });
    this.gauge({
      name: 'process_start_time_seconds',
      help: 'Start time of the process since the Unix epoch in seconds.',
      value: () => this.#startSeconds,
    });
    this.gauge({
      name: 'nodejs_heap_used_bytes',
      help: 'V8 heap in use, bytes.',
      value: () => process.memoryUsage().heapUsed,
    });
  }

  gauge(g: Gauge): void {
    this.#gauges.push(g);
  }

  render(): string {
    const parts = [this.signOns, this.locks, this.httpRequests].map((c) => c.render());
    for (const g of this.#gauges) {
      parts.push(`# HELP ${g.name} ${g.help}\n# TYPE ${g.name} gauge\n${g.name} ${g.value()}`);
    }
    return parts.join('\n') + '\n';
  }
}
