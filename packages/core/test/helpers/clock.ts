/** A manual clock for tests that inject `now()` (epoch ms). */
export interface TestClock {
  readonly now: () => number;
  /** Current time in epoch seconds (for JWT claims). */
  nowSec(): number;
  advance(ms: number): void;
}

export function createTestClock(startMs: number = Date.UTC(2026, 0, 1)): TestClock {
  let current = startMs;
  return {
    now: () => current,
    nowSec: () => Math.floor(current / 1000),
    advance(ms) {
      current += ms;
    },
  };
}
