/**
 * A small loopback HTTP server whose answers a test sets per path — a JWKS endpoint that goes
 * down, returns garbage or megabytes, or an attacker's key server that must never be contacted.
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Reply {
  readonly status: number;
  readonly body?: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Destroy the connection instead of answering. */
  readonly reset?: boolean;
  /** Never answer. */
  readonly hang?: boolean;
}

export interface ScriptedServer {
  readonly url: string;
  /** Every request seen, as `METHOD /path?query`. */
  readonly seen: string[];
  count(path: string): number;
  close(): Promise<void>;
}

export async function startScriptedServer(
  reply: (path: string, method: string) => Reply,
): Promise<ScriptedServer> {
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push(`${req.method ?? 'GET'} ${req.url ?? '/'}`);
    req.resume();
    const answer = reply((req.url ?? '/').split('?')[0] ?? '/', req.method ?? 'GET');
    if (answer.reset === true) {
      req.socket.destroy();
      return;
    }
    if (answer.hang === true) return;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
    res.end(answer.body ?? '');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    count: (path) => seen.filter((line) => line.split(' ')[1]?.split('?')[0] === path).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** JSON reply. */
export const json = (status: number, value: unknown): Reply => ({
  status,
  body: JSON.stringify(value),
});
