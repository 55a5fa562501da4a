/**
 * Run size, from the environment. `BENCH_QUICK=1` is a smoke check (few, short rounds): its
 * figures are too noisy to judge a target and the report says so.
 */
const int = (name, fallback) => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
};

// `npm run bench -- --quick` or BENCH_QUICK=1: the same cases, fewer and shorter rounds (< 3 min).
const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');

export const config = Object.freeze({
  quick,
  /** Interleaved rounds per scenario group (docs/design.md §8 asks for at least 5). */
  rounds: int('BENCH_ROUNDS', quick ? 5 : 7),
  /** Requests per measurement (autocannon `amount`). */
  requests: int('BENCH_REQUESTS', quick ? 2000 : 20000),
  /** Requests sent to each server before measuring (JIT, caches, keep-alive pools). */
  warmupRequests: int('BENCH_WARMUP', quick ? 1500 : 10000),
  connections: int('BENCH_CONNECTIONS', 32),
  /** Revocation trials. */
  revocationTrials: int('BENCH_REVOCATION_TRIALS', quick ? 40 : 200),
  /** Cold-path tokens per round. */
  coldTokens: int('BENCH_COLD_TOKENS', quick ? 1000 : 3000),
  /** Principals / tombstones for the memory scenario. */
  memoryEntries: int('BENCH_MEMORY_ENTRIES', quick ? 20000 : 100000),
  /** Distinct credentials in the IdP-load scenario. */
  idpDistinct: int('BENCH_IDP_K', quick ? 20 : 50),
  /** Comma-separated scenario names to run (default: all). */
  only: (process.env.BENCH_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
  /** Cores: servers under measurement on `serverCore`, load generator and helpers on `loadCore`. */
  serverCore: Number(process.env.BENCH_SERVER_CORE ?? 0),
  loadCore: Number(process.env.BENCH_LOAD_CORE ?? 1),
});
