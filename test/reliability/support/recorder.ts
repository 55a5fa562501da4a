/**
 * Records what a reliability test tried and what it saw, one JSON line per observation, in
 * `test/reliability/results/<suite>.jsonl`. `scripts/reliability-report.mjs` turns these files
 * into `docs/reliability.md`, so the report always describes the last run, not a hand-written claim.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Where every suite writes its observations. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface Observation {
  /** Group in the report, e.g. `IdP faults`, `JWT attacks`. */
  readonly category: string;
  /** Short name of the fault or attack. */
  readonly name: string;
  /** What was done, in words. */
  readonly tried: string;
  /** What a safe system answers. */
  readonly expected: string;
  /** What was actually seen. */
  readonly observed: string;
  /** Whether the observation meets the expectation. Default: `expected === observed`. */
  readonly ok?: boolean;
}

export interface Recorder {
  /** Appends one observation and returns whether it was ok (so a test can assert on it too). */
  record(observation: Observation): boolean;
  /**
   * Names of the observations recorded as not ok. Each suite asserts this is empty in `afterAll`,
   * so the report and the test outcome can never disagree.
   */
  notOk(): readonly string[];
}

/** Starts a fresh results file for `suite` (the previous run's lines are dropped). */
export function createRecorder(suite: string): Recorder {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = `${RESULTS_DIR}${suite}.jsonl`;
  writeFileSync(file, '');
  const failed: string[] = [];
  return {
    record(observation) {
      const ok = observation.ok ?? observation.expected === observation.observed;
      const line = { suite, at: new Date().toISOString(), ...observation, ok };
      appendFileSync(file, `${JSON.stringify(line)}\n`);
      if (!ok) failed.push(`${observation.category}: ${observation.name}`);
      return ok;
    },
    notOk: () => [...failed],
  };
}
