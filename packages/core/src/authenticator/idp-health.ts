/** Tracks recent IdP failures so `health()` can say `degraded` (never not-ready: the cache serves). */
import type { ComponentHealth } from '../types.js';

/** A failure older than this no longer degrades health. */
const RECENT_FAILURE_MS = 60_000;

export class IdpHealth {
  #consecutiveFailures = 0;
  #lastFailureAt = 0;
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  success(): void {
    this.#consecutiveFailures = 0;
  }

  failure(): void {
    this.#consecutiveFailures++;
    this.#lastFailureAt = this.#now();
  }

  /** Combines our own view with the provider's (JWKS state and the like). */
  report(provider: ComponentHealth | undefined): ComponentHealth {
    const recent =
      this.#consecutiveFailures > 0 && this.#now() - this.#lastFailureAt < RECENT_FAILURE_MS;
    if (provider !== undefined && provider.status !== 'ok') return provider;
    if (recent) {
      return {
        status: 'degraded',
        detail: `${this.#consecutiveFailures} consecutive identity-provider failures`,
      };
    }
    return provider ?? { status: 'ok' };
  }
}
