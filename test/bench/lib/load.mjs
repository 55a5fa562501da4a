/**
 * One measurement: a fixed number of requests (autocannon `amount`) against a server whose CPU
 * time is read from /proc before and after → server CPU µs per request, plus req/s and latency.
 */
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { cpuMicros } from './proc.mjs';

/**
 * autocannon only notices that `amount` is reached on its 1-second ticker, so its own duration is
 * rounded up to whole seconds: time the last response ourselves.
 */
function fire(options) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let lastResponseAt = started;
    const instance = autocannon(options, (error, result) =>
      error ? reject(error) : resolve({ ...result, seconds: (lastResponseAt - started) / 1000 }),
    );
    instance.on('response', () => {
      lastResponseAt = performance.now();
    });
  });
}

/**
 * @param {{url: string, pid?: number, pids?: number[], amount: number, connections: number,
 *          headers?: Record<string,string>, requests?: object[], expectStatus?: number}} target
 */
export async function measure(target) {
  const pids = target.pids ?? [target.pid];
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const result = await fire({
    url: target.url,
    connections: target.connections,
    amount: target.amount,
    headers: target.headers,
    requests: target.requests,
    timeout: 30,
  });
  const seconds = result.seconds;
  const cpuAfter = pids.reduce((sum, pid) => sum + cpuMicros(pid), 0);
  const expected = target.expectStatus ?? 200;
  const good = expected === 200 ? result['2xx'] : countStatus(result, expected);
  const sent = result.requests.sent ?? result.requests.total;
  if (result.errors > 0 || result.non2xx > 0 || good < target.amount) {
    throw new Error(
      `${target.url}: ${result.errors} errors, ${result.non2xx} non-2xx, ${good}/${target.amount} ok (sent ${sent})`,
    );
  }
  return {
    cpuUsPerRequest: (cpuAfter - cpuBefore) / target.amount,
    reqPerSec: target.amount / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  };
}

function countStatus(result, status) {
  return result.statusCodeStats?.[String(status)]?.count ?? 0;
}

/** Warm-up: the same load, not recorded. */
export async function warmup(target, amount) {
  await fire({
    url: target.url,
    connections: target.connections,
    amount,
    headers: target.headers,
    requests: target.requests,
    timeout: 30,
  });
}
