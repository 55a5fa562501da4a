#!/usr/bin/env node
/**
 * `npm run bench`: every scenario of docs/design.md §8 / issue 8, written to test/bench/results/.
 * Servers under measurement run pinned to core 0, this process (autocannon, the emulator, the
 * JWKS server, upstreams) to core 1. Env: BENCH_QUICK=1, BENCH_ROUNDS, BENCH_REQUESTS,
 * BENCH_ONLY=middleware,sidecar,cold,idp,revocation,memory,growth (see docs/benchmarks.md).
 */
import { config } from './lib/config.mjs';
import { startSeededEmulator } from './lib/emulator.mjs';
import { startJwksIssuer } from './lib/jwks.mjs';
import { machineInfo } from './lib/machine.mjs';
import { pinSelf } from './lib/proc.mjs';
import { writeResults } from './lib/report.mjs';
import { runMiddleware } from './scenarios/middleware.mjs';
import { runSidecar } from './scenarios/sidecar.mjs';
import { runColdPath } from './scenarios/cold-path.mjs';
import { runIdpLoad } from './scenarios/idp-load.mjs';
import { runRevocation } from './scenarios/revocation.mjs';
import { runMemory } from './scenarios/memory.mjs';
import { runGrowth } from './scenarios/growth.mjs';

const SCENARIOS = {
  middleware: runMiddleware,
  sidecar: runSidecar,
  cold: runColdPath,
  idp: runIdpLoad,
  revocation: runRevocation,
  memory: runMemory,
  growth: runGrowth,
};

const log = (line) => process.stderr.write(`${line}\n`);

async function main() {
  const pinned = pinSelf(config.loadCore);
  const selected = config.only.length > 0 ? config.only : Object.keys(SCENARIOS);
  for (const name of selected) if (!SCENARIOS[name]) throw new Error(`unknown scenario ${name}`);
  log(
    `bench: ${config.quick ? 'QUICK ' : ''}${config.rounds} rounds × ${config.requests} requests, ` +
      `${config.connections} connections; load on core ${config.loadCore}${pinned ? '' : ' (taskset failed)'}, ` +
      `servers on core ${config.serverCore}`,
  );
  const started = new Date();
  const seeded = await startSeededEmulator();
  const issuer = await startJwksIssuer();
  const env = { seeded, issuer };
  const scenarios = {};
  try {
    for (const name of selected) {
      log(`\n== ${name}`);
      const t0 = Date.now();
      try {
        scenarios[name] = await SCENARIOS[name]({ env, log });
      } catch (error) {
        log(`  FAILED: ${error?.stack ?? error}`);
        scenarios[name] = { error: String(error?.message ?? error) };
      }
      log(`  (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
    }
  } finally {
    await issuer.close();
    await seeded.close();
  }
  const results = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    command: ['node test/bench/run.mjs', ...process.argv.slice(2)].join(' '),
    envUsed: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_')),
    ),
    settings: config,
    machine: machineInfo(),
    scenarios,
  };
  const written = writeResults(results, { partial: config.only.length > 0 });
  log(`\nwritten: ${written.join(', ')}`);
  for (const t of results.targets) log(`  ${t.met ? 'met  ' : 'SHORT'} ${t.target}: ${t.value}`);
}

main().catch((error) => {
  log(error?.stack ?? String(error));
  process.exit(1);
});
