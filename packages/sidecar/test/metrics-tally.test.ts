import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterTally, LabelledHistogram } from '../src/metrics/tally.js';

describe('metrics tallies', () => {
  it('a LabelledHistogram exposes exactly what a prom-client Histogram would', async () => {
    const buckets = [0.001, 0.01, 0.1];
    const ours = new Registry();
    const fast = new LabelledHistogram({ name: 'h', help: 'x', labelName: 'status', buckets });
    ours.registerMetric(fast as unknown as Parameters<Registry['registerMetric']>[0]);
    const reference = new Registry();
    const slow = new Histogram({
      name: 'h',
      help: 'x',
      labelNames: ['status'],
      buckets,
      registers: [reference],
    });
    for (const [status, value] of [
      ['200', 0.0005],
      ['200', 0.001],
      ['200', 0.05],
      ['502', 7],
    ] as const) {
      fast.observe(status, value);
      slow.observe({ status }, value);
    }
    expect(await ours.metrics()).toBe(await reference.metrics());
  });

  it('a CounterTally hands its totals to the counter at scrape time, every scrape', async () => {
    const registry = new Registry();
    const tally = new CounterTally(['kind', 'status']);
    new Counter({
      name: 'c',
      help: 'x',
      labelNames: ['kind', 'status'],
      registers: [registry],
      collect() {
        tally.flushInto(this);
      },
    });
    tally.inc('proxy', '2xx');
    tally.inc('proxy', '2xx');
    tally.inc('verify', '4xx');
    expect(await registry.metrics()).toContain('c{kind="proxy",status="2xx"} 2');
    tally.inc('proxy', '2xx');
    const text = await registry.metrics();
    expect(text).toContain('c{kind="proxy",status="2xx"} 3');
    expect(text).toContain('c{kind="verify",status="4xx"} 1');
  });
});
