/**
 * HTTP/1.1 Upgrade (WebSocket) tunnelling after the request was authenticated: the upstream's
 * `101` is relayed to the client and the two sockets are piped until either side closes.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';

export interface UpgradeOptions {
  readonly dispatcher: Dispatcher;
  readonly target: string;
  /** Headers as built for a proxied request (hop-by-hop already removed). */
  readonly headers: string[];
  readonly timeoutMs: number;
}

/** Returns the status the client saw (101, or 502/504 when the upstream refused or timed out). */
export async function tunnelUpgrade(
  request: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  options: UpgradeOptions,
): Promise<number> {
  const protocol = request.headers.upgrade ?? 'websocket';
  let upstream: Dispatcher.UpgradeData;
  try {
    upstream = await options.dispatcher.upgrade({
      path: options.target,
      method: 'GET',
      headers: options.headers,
      protocol,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timeout = (error as { name?: unknown }).name === 'TimeoutError';
    writeRawResponse(socket, timeout ? 504 : 502, {});
    return timeout ? 504 : 502;
  }
  const lines = ['HTTP/1.1 101 Switching Protocols'];
  for (const [name, value] of Object.entries(upstream.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${item}`);
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length > 0) upstream.socket.write(head);
  const upstreamSocket = upstream.socket;
  upstreamSocket.pipe(socket);
  socket.pipe(upstreamSocket);
  const destroyBoth = (): void => {
    upstreamSocket.destroy();
    socket.destroy();
  };
  upstreamSocket.on('error', destroyBoth);
  socket.on('error', destroyBoth);
  upstreamSocket.on('close', () => socket.end());
  socket.on('close', () => upstreamSocket.end());
  return 101;
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Answer on a raw socket (upgrade requests have no `ServerResponse`), then close it. */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  headers: Readonly<Record<string, string>>,
  body = '',
): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  lines.push(`content-length: ${Buffer.byteLength(body)}`, 'connection: close');
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
