import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { isConsolePath, serveConsole } from '../console/assets.js';
import type { FaultTable } from '../faults.js';
import { HttpError } from './errors.js';
import type { ListenerSide, RouteAnswer, RouteContext, Router } from './router.js';

/** Request bodies above this are refused with 413 before parsing. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ServerHooks {
  readonly router: Router;
  readonly faults: FaultTable;
  /** Called after a successful non-GET request (the state may have changed). */
  readonly onMutation: () => void;
  readonly log: (line: string) => void;
  /** The routes this listener serves (default both: one origin plays the API and the app domain). */
  readonly side?: ListenerSide;
}

/** The HTTP server: body limits, JSON/form parsing, faults, JSON errors, the dev header. */
export function createEmulatorServer(hooks: ServerHooks): Server {
  const server = createServer((req, res) => {
    res.setHeader('x-dev-idp', 'portcullis-emulator');
    handle(req, res, hooks).catch((error: unknown) => {
      hooks.log(`portcullis-emulator: internal error: ${String(error)}`);
      if (!res.headersSent) send(res, { status: 500, body: { errors: ['Internal error'] } });
      else res.destroy();
    });
  });
  // Bounded request reading: slow or stuck clients do not hold a connection for ever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  hooks: ServerHooks,
): Promise<void> {
  const method = req.method ?? 'GET';
  const url = new URL(req.url ?? '/', 'http://emulator.invalid');
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  // A browser pointed at the emulator's URL lands on the console.
  if (path === '/' && (method === 'GET' || method === 'HEAD')) {
    await drain(req);
    res.writeHead(302, { location: '/console', 'cache-control': 'no-store' });
    res.end();
    return;
  }
  // The browser console's static files: never faulted, so it stays usable while faults are on.
  if (isConsolePath(path)) {
    await drain(req);
    await serveConsole(req, res, path);
    return;
  }
  const side = hooks.side ?? 'both';
  const match = hooks.router.match(method, path, side);

  const fault = hooks.faults.forGroup(
    match && match !== 'method' ? match.route.group : hooks.router.groupOf(path, side),
  );
  if (fault) {
    switch (fault.mode) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        // Never answer: the connection stays open until the client gives up or the server closes.
        return;
      case '5xx':
        send(res, { status: 500, body: { errors: ['Injected fault: internal server error'] } });
        return;
      case 'down':
        send(res, {
          status: 503,
          body: { errors: ['Injected fault: service unavailable'] },
          headers: { 'retry-after': '1' },
        });
        return;
      case 'latency':
        await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
        break;
    }
  }

  if (match === undefined) {
    await drain(req);
    send(res, { status: 404, body: { errors: [`Route ${method} ${path} not found`] } });
    return;
  }
  if (match === 'method') {
    await drain(req);
    send(res, { status: 405, body: { errors: [`Method ${method} not allowed on ${path}`] } });
    return;
  }

  let answer: RouteAnswer;
  try {
    const raw = await readBody(req);
    const context: RouteContext = {
      method,
      path,
      params: match.params,
      query: url.searchParams,
      headers: req.headers,
      body: parseBody(raw, req.headers['content-type']),
    };
    answer = await match.route.handler(context);
    if (method !== 'GET' && answer.status < 400) hooks.onMutation();
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    answer = {
      status: error.status,
      body: error.body ?? { errors: [error.message] },
      headers: error.headers,
    };
  }
  send(res, answer);
}

function send(res: ServerResponse, answer: RouteAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
  if (answer.body === undefined || answer.status === 204) {
    res.writeHead(answer.status).end();
    return;
  }
  const payload = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function drain(req: IncomingMessage): Promise<void> {
  try {
    await readBody(req);
  } catch {
    // the answer is a 404/405 either way
  }
}

function tooLarge(): HttpError {
  return new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`);
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  if (raw.length === 0) return undefined;
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/x-www-form-urlencoded') {
    const fields: Record<string, string> = {};
    for (const [name, value] of new URLSearchParams(raw.toString('utf8'))) {
      // RFC 6749 §3.2: request parameters must not be included more than once.
      if (name in fields) throw new HttpError(400, `form parameter ${name} appears more than once`);
      fields[name] = value;
    }
    return fields;
  }
  if (type !== '' && type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, `Unsupported content-type ${type}; send application/json`);
  }
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}
