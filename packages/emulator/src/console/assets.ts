import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** URL prefix the console is served under. */
export const CONSOLE_PATH = '/console';

/**
 * The shipped console files (relative to the package's `console/` folder) and their content
 * types. A fixed list: a request can only ever name one of these, so no path is joined from
 * user input and traversal is impossible by construction.
 */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'session.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'dialog.js': 'text/javascript; charset=utf-8',
  'tabs.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'token-panel.js': 'text/javascript; charset=utf-8',
  'scope.js': 'text/javascript; charset=utf-8',
  'catalog.js': 'text/javascript; charset=utf-8',
  'secret-box.js': 'text/javascript; charset=utf-8',
  'panels/m2m.js': 'text/javascript; charset=utf-8',
  'panels/webhooks.js': 'text/javascript; charset=utf-8',
  'panels/tenants.js': 'text/javascript; charset=utf-8',
};

/**
 * Headers on every console answer. The CSP allows only same-origin scripts, styles and fetches
 * (the console calls the emulator's own public API and nothing else), no inline code, no framing.
 */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
    "frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

// `src/console/` and `dist/console/` are both two levels below the package root.
const CONSOLE_DIR = new URL('../../console/', import.meta.url);

/** True when a (trailing-slash-trimmed) request path belongs to the console. */
export function isConsolePath(path: string): boolean {
  return path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
}

/** The file a console path names: `/console` is the page; anything not listed is undefined. */
export function consoleFileOf(path: string): string | undefined {
  if (path === CONSOLE_PATH) return 'index.html';
  const name = path.slice(CONSOLE_PATH.length + 1);
  return Object.hasOwn(CONSOLE_FILES, name) ? name : undefined;
}

/** Answers a console request: GET/HEAD of a listed file, else 404/405 (JSON, as the API). */
export async function serveConsole(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  for (const [name, value] of Object.entries(CONSOLE_HEADERS)) res.setHeader(name, value);
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    sendError(res, 405, `Method ${method} not allowed on ${path}`, { allow: 'GET, HEAD' });
    return;
  }
  const file = consoleFileOf(path);
  const contentType = file === undefined ? undefined : CONSOLE_FILES[file];
  if (file === undefined || contentType === undefined) {
    sendError(res, 404, `Route ${method} ${path} not found`);
    return;
  }
  const content = await readFile(new URL(file, CONSOLE_DIR));
  res.writeHead(200, { 'content-type': contentType, 'content-length': content.length });
  res.end(method === 'HEAD' ? undefined : content);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const payload = JSON.stringify({ errors: [message] });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
