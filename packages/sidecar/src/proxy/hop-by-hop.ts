/** Hop-by-hop headers (RFC 9110 §7.6.1) never cross the proxy, nor anything `Connection` names. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Lower-case names listed in `Connection` header values, plus the fixed hop-by-hop set. */
export function hopByHopNames(connectionValues: readonly string[]): ReadonlySet<string> {
  // Most messages name nothing extra (no header, or `keep-alive` / `close`): share the fixed set
  // instead of copying it per request.
  if (connectionValues.every(namesNothingExtra)) return HOP_BY_HOP;
  const names = new Set(HOP_BY_HOP);
  for (const value of connectionValues) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}

/** `Connection: keep-alive` or `close` (any case): nothing beyond the fixed set to drop. */
function namesNothingExtra(value: string): boolean {
  if (value === 'keep-alive' || value === 'close') return true;
  const name = value.trim().toLowerCase();
  return name === 'keep-alive' || name === 'close';
}
