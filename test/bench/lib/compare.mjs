/**
 * Interleaved rounds (A B C A B C ...) over cases that share a baseline: every case is measured
 * once per round, and each round's figure is divided by the baseline's figure of the SAME round,
 * so slow drifts of the shared machine cancel out. Reported: median and min–max over the rounds.
 */
import { config } from './config.mjs';
import { measure, warmup } from './load.mjs';
import { round, summary } from './stats.mjs';

/**
 * @param {{name: string, label: string, url: string, pid?: number, pids?: number[],
 *          headers?: object}[]} cases measured in this order each round
 * @param {string} baselineName the case every ratio is against
 */
export async function compareInterleaved(cases, baselineName, log) {
  const common = { amount: config.requests, connections: config.connections };
  for (const c of cases) {
    log(`  warm-up ${c.name}`);
    await warmup({ ...c, ...common }, config.warmupRequests);
  }
  const samples = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (let r = 0; r < config.rounds; r++) {
    // Rotate the starting case so no case always runs first (or right after the same one).
    const order = cases.map((_, i) => cases[(i + r) % cases.length]);
    for (const c of order) {
      const sample = await measure({ ...c, ...common });
      samples[c.name].push(sample);
    }
    log(
      `  round ${r + 1}/${config.rounds}: ` +
        cases.map((c) => `${c.name} ${round(samples[c.name][r].cpuUsPerRequest, 0)}µs`).join(', '),
    );
  }
  const base = samples[baselineName];
  return cases.map((c) => {
    const own = samples[c.name];
    const field = (key) => summary(own.map((s) => s[key]));
    const ratio = (key) => summary(own.map((s, i) => s[key] / base[i][key]));
    return {
      name: c.name,
      label: c.label,
      baseline: baselineName,
      cpuUsPerRequest: field('cpuUsPerRequest'),
      reqPerSec: field('reqPerSec'),
      p50Ms: field('p50Ms'),
      p99Ms: field('p99Ms'),
      cpuRatio: ratio('cpuUsPerRequest'),
      reqPerSecRatio: ratio('reqPerSec'),
      p50Ratio: ratio('p50Ms'),
      p99Ratio: ratio('p99Ms'),
      rounds: own,
    };
  });
}

/** Sanity request before measuring: the route must answer 200 with these headers. */
export async function expectOk(url, headers = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${url} → ${response.status} ${text.slice(0, 300)}`);
  }
}

export async function expectStatus(url, status, headers = {}) {
  const response = await fetch(url, { headers });
  await response.arrayBuffer();
  if (response.status !== status) throw new Error(`${url} → ${response.status}, not ${status}`);
}
