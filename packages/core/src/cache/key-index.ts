/**
 * Cache keys by a principal field (tenant, user, client, token id), so an invalidation finds its
 * entries without scanning the cache. Most values (token and client ids) own exactly one key, so a
 * single key is held as a string and becomes a Set only on the second: ~450 B less per entry.
 */
export class KeyIndex {
  readonly #entries = new Map<string, string | Set<string>>();

  /** The indexed values (e.g. every tenant id with a cached principal). */
  values(): IterableIterator<string> {
    return this.#entries.keys();
  }

  add(value: string | undefined, key: string): void {
    if (value === undefined) return;
    const current = this.#entries.get(value);
    if (current === undefined) this.#entries.set(value, key);
    else if (typeof current === 'string') {
      if (current !== key) this.#entries.set(value, new Set([current, key]));
    } else current.add(key);
  }

  remove(value: string | undefined, key: string): void {
    if (value === undefined) return;
    const current = this.#entries.get(value);
    if (current === undefined) return;
    if (typeof current === 'string') {
      if (current === key) this.#entries.delete(value);
      return;
    }
    current.delete(key);
    if (current.size === 1) this.#entries.set(value, current.values().next().value as string);
    else if (current.size === 0) this.#entries.delete(value);
  }

  /** The keys indexed under `value` (a copy: safe to delete entries while iterating). */
  keys(value: string): string[] {
    const current = this.#entries.get(value);
    if (current === undefined) return [];
    return typeof current === 'string' ? [current] : [...current];
  }
}
