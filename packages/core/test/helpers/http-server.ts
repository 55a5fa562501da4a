/**
 * A small real HTTP server on 127.0.0.1:0 for IdP fakes: records every request, answers with a
 * swappable handler, and can hang a response (for timeouts) until it is closed.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The body parsed as a form (empty when it is not one). */
  readonly form: URLSearchParams;
}

export interface Reply {
  readonly status?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects are sent as JSON; strings and buffers as they are. */
  readonly body?: unknown;
  /** Never answer (the connection is closed when the server closes). */
  readonly hang?: boolean;
  /** Send the headers and this much of the body, then cut the connection. */
  readonly partial?: string;
}

export type Handler = (request: RecordedRequest) => Reply | Promise<Reply>;

export interface TestServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  setHandler(handler: Handler): void;
  /** Requests whose path (without query) equals `path`. */
  count(path: string): number;
  close(): Promise<void>;
}

export async function startTestServer(handler: Handler): Promise<TestServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body,
        form: new URLSearchParams(
          String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')
            ? body
            : '',
        ),
      };
      requests.push(recorded);
      Promise.resolve()
        .then(() => current(recorded))
        .then(
          (reply) => send(res, reply),
          () => send(res, { status: 500, body: { error: 'test handler failed' } }),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setHandler(next) {
      current = next;
    },
    count(path) {
      return requests.filter((request) => request.path.split('?')[0] === path).length;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, reply: Reply): void {
  if (reply.hang) return;
  if (reply.partial !== undefined) {
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      'content-length': '100000',
    });
    res.write(reply.partial, () => res.destroy());
    return;
  }
  const isRaw = typeof reply.body === 'string' || Buffer.isBuffer(reply.body);
  const body =
    reply.body === undefined
      ? ''
      : isRaw
        ? (reply.body as string | Buffer)
        : JSON.stringify(reply.body);
  res.writeHead(reply.status ?? 200, {
    ...(reply.body !== undefined && !isRaw ? { 'content-type': 'application/json' } : {}),
    ...reply.headers,
  });
  res.end(body);
}
