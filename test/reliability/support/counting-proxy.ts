/**
 * A counting reverse proxy (node:http) between an authenticator and the IdP: the emulator keeps
 * no request log, so this is how a test sees how many calls reached the IdP, how many were open
 * at once, and how the IdP behaves when its port stops accepting connections.
 */
import { createServer, request } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface CountingProxy {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** Every request seen, as `METHOD /path` (query dropped), in order. */
  readonly seen: string[];
  /** Requests open right now (waiting for the IdP's answer). */
  readonly open: number;
  /** The most requests ever open at once since the last `resetCounts`. */
  readonly highWater: number;
  /**
   * Answer requests whose path starts with `prefix` with `answer` instead of forwarding them (a
   * misbehaving IdP: garbage, megabytes, redirects). `undefined` removes every override.
   */
  override(prefix?: string, answer?: OverrideAnswer): void;
  /** How many seen requests' path starts with `prefix`. */
  count(prefix: string): number;
  resetCounts(): void;
  /** Stop accepting connections (the IdP's port is closed: connection refused). */
  refuse(): Promise<void>;
  /** Listen again on the same port. */
  accept(): Promise<void>;
  close(): Promise<void>;
}

export interface OverrideAnswer {
  readonly status: number;
  readonly headers?: OutgoingHttpHeaders;
  readonly body: string | Buffer;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let open = 0;
  let highWater = 0;
  const overrides = new Map<string, OverrideAnswer>();

  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    seen.push(`${req.method ?? 'GET'} ${path}`);
    const fixed = [...overrides].find(([prefix]) => path.startsWith(prefix))?.[1];
    if (fixed !== undefined) {
      req.resume();
      res.writeHead(fixed.status, fixed.headers ?? {});
      res.end(fixed.body);
      return;
    }
    open += 1;
    highWater = Math.max(highWater, open);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      open -= 1;
    };
    const outbound = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', finish);
      },
    );
    outbound.on('error', () => {
      finish();
      // The IdP dropped the connection: drop ours too, so the caller sees the same fault.
      req.socket.destroy();
    });
    // The caller gave up (timeout, abort): stop waiting for the IdP as well.
    res.on('close', () => {
      finish();
      outbound.destroy();
    });
    req.pipe(outbound);
  };

  let server: Server = createServer(forward);
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get open() {
      return open;
    },
    get highWater() {
      return highWater;
    },
    override(prefix, answer) {
      if (prefix === undefined || answer === undefined) overrides.clear();
      else overrides.set(prefix, answer);
    },
    count: (prefix) => seen.filter((line) => line.split(' ')[1]?.startsWith(prefix)).length,
    resetCounts() {
      seen.length = 0;
      highWater = open;
    },
    refuse: stop,
    async accept() {
      if (server.listening) return;
      server = createServer(forward);
      server.on('connection', track);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    close: stop,
  };
}
