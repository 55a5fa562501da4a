/**
 * Streaming reverse proxy to one upstream origin over an undici keep-alive `Pool`. Bodies are
 * streamed both ways, never buffered; an unreachable upstream answers 502, a slow one 504.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventEmitter } from 'node:events';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { downstreamHeaders } from './upstream-headers.js';

export interface UpstreamProxyOptions {
  /** `http://host:port` of the upstream. */
  readonly origin: string;
  /** Time to wait for the upstream's response headers, and between body chunks (ms). */
  readonly timeoutMs: number;
  /** Keep-alive connections kept per upstream (default 128). */
  readonly connections?: number;
  /** A dispatcher to use instead of the built-in pool (tests). */
  readonly dispatcher?: Dispatcher;
}

/** How one proxied exchange ended, for the access log and metrics. */
export interface ProxyOutcome {
  readonly status: number;
  /** Time until the upstream's response headers arrived, in ms (undefined when it never answered). */
  readonly upstreamMs: number | undefined;
  /** `timeout`, `unreachable`, `aborted` or `response-error` when it did not go cleanly. */
  readonly failure?: string;
}

export interface UpstreamProxy {
  forward(
    request: IncomingMessage,
    response: ServerResponse,
    target: string,
    headers: string[],
  ): Promise<ProxyOutcome>;
  /** The dispatcher WebSocket upgrades go through. */
  readonly dispatcher: Dispatcher;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

/** A proxy over a keep-alive undici `Pool` (128 connections, 4 s idle keep-alive). */
export function createUpstreamProxy(options: UpstreamProxyOptions): UpstreamProxy {
  const dispatcher =
    options.dispatcher ??
    new Pool(options.origin, {
      connections: options.connections ?? 128,
      keepAliveTimeout: 4_000,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: Math.min(options.timeoutMs, 10_000),
    });

  async function forward(
    request: IncomingMessage,
    response: ServerResponse,
    target: string,
    headers: string[],
  ): Promise<ProxyOutcome> {
    const started = performance.now();
    // An EventEmitter rather than an AbortController: undici accepts both, and a controller (plus
    // the promise pipeline it would feed) costs an exception object on every request (profiled).
    const abort = new EventEmitter();
    let aborted = false;
    const onClose = (): void => {
      if (response.writableFinished) return;
      aborted = true;
      abort.emit('abort');
    };
    response.on('close', onClose);
    let status = 0;
    let upstreamMs: number | undefined;
    try {
      // stream(): undici writes the body straight into our response (backpressure included).
      await dispatcher.stream(
        {
          origin: options.origin,
          path: target,
          method: request.method as Dispatcher.HttpMethod,
          headers,
          body: hasBody(request) ? request : null,
          signal: abort,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
        },
        ({ statusCode, headers: upstreamHeaders }) => {
          upstreamMs = performance.now() - started;
          status = statusCode;
          response.writeHead(statusCode, downstreamHeaders(upstreamHeaders));
          return response;
        },
      );
      return { status, upstreamMs };
    } catch (error) {
      if (aborted) return { status: 499, upstreamMs, failure: 'aborted' };
      if (response.headersSent) {
        // Headers are gone already: all we can do is cut the connection so the client sees it.
        response.destroy();
        return { status, upstreamMs, failure: 'response-error' };
      }
      const code = (error as { code?: unknown }).code;
      const timeout = typeof code === 'string' && TIMEOUT_CODES.has(code);
      const failedStatus = timeout ? 504 : 502;
      const body = JSON.stringify({
        error: timeout ? 'gateway_timeout' : 'bad_gateway',
        error_description: timeout
          ? 'the upstream did not answer in time'
          : 'the upstream is unreachable',
      });
      response.writeHead(failedStatus, { 'content-type': 'application/json', connection: 'close' });
      response.end(body);
      // The client may still be sending a body we will never read: stop it.
      if (!request.complete) request.resume();
      return { status: failedStatus, upstreamMs, failure: timeout ? 'timeout' : 'unreachable' };
    } finally {
      response.off('close', onClose);
    }
  }

  return {
    forward,
    dispatcher,
    async close() {
      await dispatcher.close();
    },
  };
}
