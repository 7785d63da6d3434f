/**
 * Prometheus text exposition, written by hand: counters, gauges and histograms with labels.
 * Small on purpose; the service needs a dozen series, not a client library.
 */
type Labels = Record<string, string>;

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Labels): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const keyOf = (l: Labels): string => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : 1)));
const num = (n: number): string => (Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN');

export interface Metric {
  render(): string;
}

export class Counter implements Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    const k = keyOf(labels);
    const cur = this.#values.get(k);
    if (cur) cur.value += by;
    else this.#values.set(k, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values()) lines.push(`${this.name}${labelText(labels)} ${num(value)}`);
    return lines.join('\n');
  }
}

/** A gauge read at scrape time from a callback, so it can never go stale. */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly collect: () => Array<[Labels, number]>,
  ) {}
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const [labels, value] of this.collect()) lines.push(`${this.name}${labelText(labels)} ${num(value)}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  readonly #series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const k = keyOf(labels);
    let s = this.#series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(k, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]! += 1;
    });
    s.sum += value;
    s.count += 1;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      this.buckets.forEach((b, i) =>
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: num(b) })} ${s.counts[i]}`),
      );
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${num(s.sum)}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** The service's series. Queue depth is read from the labeller at scrape time. */
export class ServiceMetrics {
  readonly requests = new Counter('distillery_http_requests_total', 'HTTP requests by route, method and status.');
  readonly latency = new Histogram(
    'distillery_http_request_duration_seconds',
    'HTTP request latency by route, method and status.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly batchSize = new Histogram(
    'distillery_teacher_batch_texts',
    'Texts per model call (after cross-request merging).',
    [1, 2, 4, 8, 16, 32, 64, 128, 256],
  );
  readonly teacherTokens = new Counter('distillery_teacher_tokens_total', 'Real tokens sent through each teacher.');
  readonly teacherSeconds = new Counter(
    'distillery_teacher_seconds_total',
    'Seconds spent in model calls per teacher.',
  );
  readonly teacherCalls = new Counter('distillery_teacher_calls_total', 'Model calls per teacher and outcome.');
  readonly cacheLookups = new Counter(
    'distillery_cache_lookups_total',
    'Output cache lookups per teacher and result (hit|miss).',
  );
  readonly #metrics: Metric[];
  readonly #teachers = new Set<string>();
  readonly #sources: Array<() => Promise<Metric[]>> = [];

  constructor(queueDepths: () => Map<string, number>) {
    const perTeacher = (f: (t: string) => number): Array<[Labels, number]> =>
      [...this.#teachers].map((t) => [{ teacher: t }, f(t)]);
    this.#metrics = [
      this.requests,
      this.latency,
      new Gauge('distillery_queue_depth', 'Texts queued or in the model per teacher.', () =>
        [...queueDepths()].map(([t, d]) => [{ teacher: t }, d]),
      ),
      this.batchSize,
      this.teacherCalls,
      this.teacherTokens,
      this.teacherSeconds,
      new Gauge(
        'distillery_teacher_tokens_per_second',
        'Tokens per second of model time per teacher, since start.',
        () =>
          perTeacher((t) => {
            const s = this.teacherSeconds.get({ teacher: t });
            return s > 0 ? this.teacherTokens.get({ teacher: t }) / s : 0;
          }),
      ),
      this.cacheLookups,
      new Gauge('distillery_cache_hit_ratio', 'Share of looked-up texts answered from the cache, since start.', () =>
        perTeacher((t) => {
          const hit = this.cacheLookups.get({ teacher: t, result: 'hit' });
          const all = hit + this.cacheLookups.get({ teacher: t, result: 'miss' });
          return all > 0 ? hit / all : 0;
        }),
      ),
    ];
  }

  recordBatch(teacher: string, s: { texts: number; tokens: number; seconds: number; ok: boolean }): void {
    this.#teachers.add(teacher);
    this.teacherCalls.inc({ teacher, outcome: s.ok ? 'ok' : 'error' });
    if (!s.ok) return;
    this.batchSize.observe({ teacher }, s.texts);
    this.teacherTokens.inc({ teacher }, s.tokens);
    this.teacherSeconds.inc({ teacher }, s.seconds);
  }

  recordCache(teacher: string, hits: number, misses: number): void {
    this.#teachers.add(teacher);
    if (hits) this.cacheLookups.inc({ teacher, result: 'hit' }, hits);
    if (misses) this.cacheLookups.inc({ teacher, result: 'miss' }, misses);
  }

  recordRequest(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.requests.inc(labels);
    this.latency.observe(labels, seconds);
  }

  render(): string {
    return this.#metrics.map((m) => m.render()).join('\n') + '\n';
  }

  /** Series read at scrape time from elsewhere (the queue's Redis), after the service's own. */
  addSource(source: () => Promise<Metric[]>): void {
    this.#sources.push(source);
  }

  async renderAll(): Promise<string> {
    const more = (await Promise.all(this.#sources.map((s) => s()))).flat();
    return this.render() + more.map((m) => m.render() + '\n').join('');
  }
}
