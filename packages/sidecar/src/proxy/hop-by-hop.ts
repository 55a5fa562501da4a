/** Hop-by-hop headers (RFC 9110 §7.6.1) never cross the proxy, nor anything `Connection` names. */
const HOP_BY_HOP = new Set([
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
export function hopByHopNames(connectionValues: readonly string[]): Set<string> {
  const names = new Set(HOP_BY_HOP);
  for (const value of connectionValues) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') names.add(name);
    }
  }
  return names;
}
