/**
 * Concurrent misses for one cache key share one computation (docs/design.md §2 single-flight). The first
 * caller leads; later callers wait for the leader's promise. The entry is removed when it settles,
 * so a failure is never shared with callers that arrive afterwards.
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>();

  get size(): number {
    return this.#inFlight.size;
  }

  /** The promise already running for `key`, if any. */
  joinable(key: string): Promise<T> | undefined {
    return this.#inFlight.get(key);
  }

  /** Runs `work` unless a call for `key` is already in flight; `work` starts synchronously. */
  run(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.#inFlight.get(key);
    if (existing !== undefined) return existing;
    const promise = work().finally(() => {
      if (this.#inFlight.get(key) === promise) this.#inFlight.delete(key);
    });
    this.#inFlight.set(key, promise);
    return promise;
  }
}
