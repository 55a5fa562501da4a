/**
 * The race guard of docs/design.md §2: a verification that started before an invalidation or revocation
 * must not write its (possibly outdated) answer into the cache after that invalidation ran.
 */
import type { Principal, Selector } from '../types.js';
import { isAllSelector, matchesSelector } from './selector.js';

/** Default number of recent invalidations remembered; older ones make racing results uncacheable. */
export const DEFAULT_GENERATION_LOG_SIZE = 1024;

export class GenerationLog {
  #generation = 0;
  /** Ring buffer: slot i holds the selector logged at generation g where g % size === i. */
  readonly #selectors: (Selector | undefined)[];
  readonly #size: number;

  constructor(size: number = DEFAULT_GENERATION_LOG_SIZE) {
    this.#size = size;
    this.#selectors = new Array<Selector | undefined>(size).fill(undefined);
  }

  /** The generation a verification records when it starts. */
  current(): number {
    return this.#generation;
  }

  /** Called by every invalidate / revoke / flush / cache clear. */
  record(selector: Selector): void {
    this.#generation += 1;
    this.#selectors[this.#generation % this.#size] = selector;
  }

  /**
   * May a result computed from generation `since` be cached? `principal` undefined means a negative
   * result: only an `all` selector logged since then blocks it.
   */
  mayCache(since: number, principal: Principal | undefined): boolean {
    const latest = this.#generation;
    if (latest === since) return true;
    // The entries after `since` were overwritten: we cannot prove none matched.
    if (latest - since >= this.#size) return false;
    for (let g = since + 1; g <= latest; g++) {
      const selector = this.#selectors[g % this.#size];
      if (selector === undefined) return false;
      if (
        principal === undefined ? isAllSelector(selector) : matchesSelector(selector, principal)
      ) {
        return false;
      }
    }
    return true;
  }
}
