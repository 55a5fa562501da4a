#!/usr/bin/env node
/**
 * `node test/bench/profile.mjs [middleware|sidecar|cold]`: runs one cached-request server under
 * `node --cpu-prof` (pinned like the bench), drives a fixed load, and prints the top self-time
 * frames overall and in Portcullis's own code (packages/*\/dist). Profiles stay in a temp dir.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { config } from './lib/config.mjs';
import { serverPath, startServer } from './lib/child.mjs';
import { startSeededEmulator } from './lib/emulator.mjs';
import { flameGraphSvg } from './lib/flamegraph.mjs';
import { measure, warmup } from './lib/load.mjs';
import { pinSelf } from './lib/proc.mjs';
import { startSidecarCli } from './scenarios/sidecar.mjs';

const target = process.argv[2] ?? 'middleware';
const requests = Number(process.env.BENCH_PROFILE_REQUESTS ?? 40000);
const log = (line) => process.stderr.write(`${line}\n`);
const describe = {
  middleware: 'Express 5 + m2mAuth, cached 1 KB JWT',
  sidecar: 'portcullis CLI proxy, cached 1 KB JWT, access log to a pipe, metrics on',
  cold: 'first-seen RS256 JWTs through the authenticator and raw jose',
};

function summarize(file, top = 25) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfTicks = new Map();
  for (const id of profile.samples) selfTicks.set(id, (selfTicks.get(id) ?? 0) + 1);
  const total = profile.samples.length;
  const frames = new Map();
  for (const [id, ticks] of selfTicks) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, 'node_modules/')
      .replace(/.*\/packages\//, 'packages/');
    const key = `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
    frames.set(key, (frames.get(key) ?? 0) + ticks);
  }
  const sorted = [...frames].sort((a, b) => b[1] - a[1]);
  const pct = (t) => `${((100 * t) / total).toFixed(1)}%`.padStart(6);
  log(`\n${total} samples. Top self time overall:`);
  for (const [key, ticks] of sorted.slice(0, top)) log(`${pct(ticks)}  ${key}`);
  const ours = sorted.filter(([key]) => key.includes('packages/'));
  const oursTotal = ours.reduce((sum, [, t]) => sum + t, 0);
  log(`\nPortcullis's own code (packages/*): ${pct(oursTotal)} self time. Top frames:`);
  for (const [key, ticks] of ours.slice(0, top)) log(`${pct(ticks)}  ${key}`);
  // Inclusive time: every sample under a frame (counted once per sample even under recursion).
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const { functionName, url, lineNumber } = n.callFrame;
    const where = url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, 'node_modules/')
      .replace(/.*\/packages\//, 'packages/');
    return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
  };
  const inclusive = new Map();
  for (const [id, ticks] of selfTicks) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at));
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ticks);
    }
  }
  const idle = [...frames].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, t]) => s + t, 0);
  log(
    `\nbusy samples (not idle): ${total - idle}. Inclusive time of Portcullis frames (% of busy):`,
  );
  const busyPct = (t) => `${((100 * t) / (total - idle)).toFixed(1)}%`.padStart(6);
  for (const [key, ticks] of [...inclusive]
    .filter(([k]) => k.includes('packages/'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    log(`${busyPct(ticks)}  ${key}`);
  }
  return { total, oursTotal };
}

async function main() {
  pinSelf(config.loadCore);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-prof-'));
  const seeded = await startSeededEmulator();
  let server;
  let headers = { authorization: `Bearer ${seeded.apiToken.jwt}` };
  if (process.env.BENCH_PROFILE_HEADER === 'basic') {
    const { basicHeader } = await import('./lib/emulator.mjs');
    headers = { authorization: basicHeader(seeded.apiToken) };
  }
  try {
    if (target === 'middleware') {
      server = await startServer(serverPath('middleware.mjs'), {
        core: config.serverCore,
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
        args: {
          variant: process.env.BENCH_PROFILE_VARIANT ?? 'portcullis',
          provider: seeded.provider,
        },
      });
      server.url = `${server.url}/orders`;
    } else if (target === 'sidecar') {
      const upstream = await startServer(serverPath('upstream.mjs'), { core: config.loadCore });
      const sidecar = await startSidecarCli(dir, 'portcullis', {
        upstream: upstream.url,
        provider: seeded.provider,
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
      });
      server = {
        ...sidecar,
        url: `${sidecar.url}/orders`,
        stop: async () => {
          await sidecar.stop();
          await upstream.stop();
        },
      };
    } else if (target === 'cold') {
      const child = await startServer(serverPath('cold-path.mjs'), {
        core: config.serverCore,
        nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--trace-warnings'],
        args: { tokensPerRound: 3000, rounds: 3, concurrency: 32, jwtBytes: 1024 },
        timeoutMs: 600_000,
      });
      for (let r = 0; r < 3; r++) {
        const { result } = await child.ask('round', { order: ['portcullis', 'jose'] });
        log(
          `cold round ${r + 1}: portcullis ${result.portcullis.cpuUsPerToken.toFixed(0)} µs/token, jose ${result.jose.cpuUsPerToken.toFixed(0)} µs/token`,
        );
      }
      await child.stop();
    } else {
      throw new Error(`unknown target ${target}`);
    }
    if (server !== undefined) {
      const t = {
        url: server.url,
        pid: server.pid,
        headers,
        connections: config.connections,
        amount: requests,
      };
      await warmup(t, 10000);
      const m = await measure(t);
      log(
        `${target}: ${m.cpuUsPerRequest.toFixed(0)} µs/request (under the profiler), ${m.reqPerSec.toFixed(0)} req/s`,
      );
    }
  } finally {
    await server?.stop();
    await seeded.close();
  }
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const results = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(results, { recursive: true });
  for (const f of files) {
    log(`\nprofile ${join(dir, f)}`);
    summarize(join(dir, f));
  }
  // The flame graph of the measured server (the largest profile: helpers exit early).
  const biggest = files
    .map((f) => ({ f, size: readFileSync(join(dir, f)).length }))
    .sort((a, b) => b.size - a.size)[0];
  if (biggest !== undefined) {
    const svgPath = join(results, `flame-${target}.svg`);
    const profile = JSON.parse(readFileSync(join(dir, biggest.f), 'utf8'));
    const title = `${target}: ${describe[target] ?? target} (node --cpu-prof, ${requests} requests, ${new Date().toISOString().slice(0, 16)}Z)`;
    writeFileSync(svgPath, flameGraphSvg(profile, { title }));
    log(`\nflame graph: ${svgPath}`);
  }
}

main().catch((error) => {
  log(error?.stack ?? String(error));
  process.exit(1);
});
