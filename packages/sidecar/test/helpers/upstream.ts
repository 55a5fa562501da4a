/** A plain node:http upstream that echoes what it received, plus slow, big-body and WebSocket routes. */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

export interface EchoBody {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaderNames: readonly string[];
  readonly bodyBytes: number;
}

export interface RunningUpstream {
  readonly url: string;
  readonly port: number;
  /** Every request target the upstream saw. */
  readonly seen: string[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * Routes: `/slow?ms=N` waits N ms before answering; `/download?bytes=N` streams N bytes;
 * `/ws` is a WebSocket echo; anything else echoes method, url, headers and the body size.
 */
export async function startUpstream(): Promise<RunningUpstream> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://upstream');
    if (url.pathname === '/slow') {
      const timer = setTimeout(
        () => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('slow ok');
        },
        Number(url.searchParams.get('ms') ?? '1000'),
      );
      res.on('close', () => clearTimeout(timer));
      req.resume();
      return;
    }
    if (url.pathname === '/download') {
      let remaining = Number(url.searchParams.get('bytes') ?? '0');
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(remaining),
      });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (remaining > 0) {
          const piece = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
          remaining -= piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
      return;
    }
    let bodyBytes = 0;
    req.on('data', (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    req.on('end', () => {
      const body: EchoBody = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaderNames: req.rawHeaders.filter((_, i) => i % 2 === 0),
        bodyBytes,
      };
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-upstream': 'echo',
        connection: 'keep-alive',
      });
      res.end(JSON.stringify(body));
    });
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (socket, req) => {
    socket.on('message', (data) =>
      socket.send(`echo:${String(data)}|subject:${String(req.headers['x-portcullis-subject'])}`),
    );
  });
  let connections = 0;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
