/**
 * Per-request counting without prom-client's per-call label hashing: counts live in a Map keyed
 * by the label values, and a prom-client metric's `collect()` hands the totals over at scrape
 * time. prom-client validates, sorts and hashes the label object on every `inc()`/`observe()`;
 * on the sidecar's hot path that is several calls per request (profiled).
 */
import type { Counter } from 'prom-client';

interface CountEntry {
  readonly labels: Record<string, string>;
  value: number;
}

/** Counts by label values; `flushInto` sets a prom-client counter to the totals. */
export class CounterTally {
  readonly #names: readonly string[];
  readonly #entries = new Map<string, CountEntry>();

  constructor(labelNames: readonly string[]) {
    this.#names = labelNames;
  }

  /** `values` in the order of the label names. */
  inc(a: string, b?: string, c?: string): void {
    const key = c === undefined ? (b === undefined ? a : `${a}\0${b}`) : `${a}\0${b}\0${c}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.value += 1;
      return;
    }
    const values = [a, b, c];
    const labels: Record<string, string> = {};
    this.#names.forEach((name, i) => (labels[name] = values[i] ?? ''));
    this.#entries.set(key, { labels, value: 1 });
  }

  /** Called from the counter's `collect()`: the counter then shows exactly these totals. */
  flushInto(counter: Counter): void {
    counter.reset();
    for (const entry of this.#entries.values()) counter.inc(entry.labels, entry.value);
  }
}

interface BucketCounts {
  readonly status: string;
  /** Count per upper bound (non-cumulative; the last slot is +Inf). */
  readonly buckets: number[];
  sum: number;
  count: number;
}

/**
 * A Prometheus histogram with one label, counted in plain arrays and registered with a prom-client
 * `Registry` as a custom metric (`registry.registerMetric`): `get()` returns the same shape
 * prom-client's own `Histogram` does, so the exposition is identical.
 */
export class LabelledHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #label: string;
  readonly #bounds: readonly number[];
  readonly #series = new Map<string, BucketCounts>();

  constructor(options: { name: string; help: string; labelName: string; buckets: number[] }) {
    this.name = options.name;
    this.help = options.help;
    this.#label = options.labelName;
    this.#bounds = [...options.buckets].sort((a, b) => a - b);
  }

  observe(labelValue: string, value: number): void {
    let series = this.#series.get(labelValue);
    if (series === undefined) {
      series = {
        status: labelValue,
        buckets: new Array<number>(this.#bounds.length + 1).fill(0),
        sum: 0,
        count: 0,
      };
      this.#series.set(labelValue, series);
    }
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    series.buckets[i] = (series.buckets[i] ?? 0) + 1;
    series.sum += value;
    series.count += 1;
  }

  reset(): void {
    this.#series.clear();
  }

  get(): Promise<{
    name: string;
    help: string;
    type: 'histogram';
    aggregator: 'sum';
    values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
  }> {
    const values: Array<{
      labels: Record<string, string | number>;
      value: number;
      metricName: string;
    }> = [];
    for (const series of this.#series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += series.buckets[i] ?? 0;
        values.push({
          labels: { le: bound, [this.#label]: series.status },
          value: cumulative,
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        labels: { le: '+Inf', [this.#label]: series.status },
        value: series.count,
        metricName: `${this.name}_bucket`,
      });
      values.push({
        labels: { [this.#label]: series.status },
        value: series.sum,
        metricName: `${this.name}_sum`,
      });
      values.push({
        labels: { [this.#label]: series.status },
        value: series.count,
        metricName: `${this.name}_count`,
      });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    });
  }
}
