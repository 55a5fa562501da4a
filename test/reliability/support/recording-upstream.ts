/** The service behind the sidecar: records every request it receives (raw header names kept). */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  /** `[name, value]` pairs exactly as received. */
  readonly headers: readonly (readonly [string, string])[];
  readonly bodyBytes: number;
}

export interface RecordingUpstream {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Requests whose path starts with `prefix`. */
  matching(prefix: string): ReceivedRequest[];
  /** Stop listening (the upstream is down: connection refused). */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
}

/** `/slow?ms=N` answers after N ms; everything else answers 200 `{ok: true}` after reading the body. */
export async function startRecordingUpstream(): Promise<RecordingUpstream> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;

  const listen = async (): Promise<void> => {
    const next = createServer((req, res) => {
      let bodyBytes = 0;
      req.on('data', (chunk: Buffer) => {
        bodyBytes += chunk.length;
      });
      req.on('end', () => {
        const pairs: [string, string][] = [];
        for (let i = 0; i < req.rawHeaders.length; i += 2) {
          pairs.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
        }
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: pairs, bodyBytes });
        const url = new URL(req.url ?? '/', 'http://upstream');
        const delayMs = url.pathname === '/slow' ? Number(url.searchParams.get('ms') ?? '0') : 0;
        const timer = setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"ok":true}');
        }, delayMs);
        res.on('close', () => clearTimeout(timer));
      });
    });
    next.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    port = (next.address() as AddressInfo).port;
    server = next;
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    matching: (prefix) => received.filter((request) => request.url.startsWith(prefix)),
    stop: () =>
      new Promise<void>((resolve) => {
        const current = server;
        server = undefined;
        if (current === undefined) return resolve();
        current.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
    start: listen,
  };
}
