/** `host:port`, `[v6]:port` or `:port` (all interfaces) → `{host, port}`; `undefined` if malformed. */
export interface ListenAddress {
  readonly host: string;
  /** 0 asks the OS for a free port. */
  readonly port: number;
}

/** Parse a listen address; an empty host means all interfaces (`0.0.0.0`). */
export function parseListenAddress(value: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? (match[2] === '' || match[2] === undefined ? '0.0.0.0' : match[2]);
  return { host, port };
}

/** `http://host:port` for logs and tests; IPv6 hosts bracketed, wildcard hosts kept as given. */
export function formatUrl(host: string, port: number): string {
  return host.includes(':') ? `http://[${host}]:${port}` : `http://${host}:${port}`;
}
