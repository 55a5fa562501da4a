import type { Request, Response } from 'express';
import { DEFAULT_WEBHOOK_MAX_BODY_BYTES, isPortcullisError } from '@portcullis/core';
import type { Authenticator, Logger, WebhookReceiver, WebhookResponse } from '@portcullis/core';
import { invalidOption, isPlainObject, rejectUnknownKeys } from '../options.js';
import { inspectBody, readRawBody } from './raw-body.js';

/** Options of {@link webhookHandler}. */
export interface WebhookHandlerOptions {
  /**
   * Which of the authenticator's receivers this route serves: `'standard'` (Standard Webhooks,
   * Portcullis's own events) or a provider's, e.g. `'frontegg'`. Required: each receiver trusts a
   * different signature, so one route must never guess.
   */
  readonly receiver: string;
  /** Largest body read, in bytes; larger → 413. Default 65536. */
  readonly maxBodyBytes?: number;
  /** Time allowed to receive the whole body, in ms; slower → 408. Default 10000. */
  readonly readTimeoutMs?: number;
  /** Where mounting mistakes and receiver failures are logged. Default: `console.error`. */
  readonly logger?: Logger;
}

const KNOWN_OPTIONS = new Set(['receiver', 'maxBodyBytes', 'readTimeoutMs', 'logger']);
const DEFAULT_READ_TIMEOUT_MS = 10_000;

const MOUNTING_HELP =
  'mount webhookHandler() before any body parser (app.post(path, webhookHandler(...)) above app.use(express.json())), ' +
  "or give its route the raw body: app.post(path, express.raw({ type: '*/*' }), webhookHandler(...))";

function positiveInteger(path: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    invalidOption(path, 'must be a positive integer');
  }
  return value;
}

function consoleLogger(): Logger {
  const write = (obj: object, msg?: string): void =>
    console.error(`[portcullis] ${msg ?? ''} ${JSON.stringify(obj)}`);
  return { debug: () => undefined, info: () => undefined, warn: write, error: write };
}

function send(res: Response, answer: WebhookResponse, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  res.status(answer.status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.json(answer.body);
}

/**
 * A `(req, res)` Express handler that feeds one of core's webhook receivers
 * (`authenticator.webhooks[receiver]`) with the raw body and answers with the receiver's
 * `{status, body}` only after its action settled (docs/design.md §5: 2xx means applied).
 *
 * The signature covers the exact bytes sent, so the handler reads the request stream itself
 * (bounded by `maxBodyBytes`, 413 above) or takes the Buffer `express.raw()` left in `req.body`.
 * When a body parser already consumed or parsed the body it fails loudly — 500
 * `ERR_WEBHOOK_BODY_CONSUMED` with mounting instructions, plus a log line — and never verifies
 * re-serialised JSON. Only POST is accepted (405 otherwise).
 *
 * @example
 * app.post('/webhooks/frontegg', webhookHandler(authenticator, { receiver: 'frontegg' }));
 * app.use(express.json()); // body parsers after the webhook routes
 */
export function webhookHandler(
  authenticator: Pick<Authenticator, 'webhooks'>,
  options: WebhookHandlerOptions,
): (req: Request, res: Response) => void {
  if (!isPlainObject(options)) invalidOption('webhookHandler', 'options must be an object');
  rejectUnknownKeys('webhookHandler', options, KNOWN_OPTIONS);
  const webhooks = (authenticator as Partial<Pick<Authenticator, 'webhooks'>> | undefined)
    ?.webhooks;
  if (!isPlainObject(webhooks)) {
    invalidOption('authenticator', 'must be the value returned by createAuthenticator()');
  }
  const names = Object.keys(webhooks);
  if (typeof options.receiver !== 'string' || !Object.hasOwn(webhooks, options.receiver)) {
    invalidOption('webhookHandler.receiver', `must name one of the receivers: ${names.join(', ')}`);
  }
  const receiver = webhooks[options.receiver] as WebhookReceiver;
  const maxBytes = positiveInteger(
    'webhookHandler.maxBodyBytes',
    options.maxBodyBytes,
    DEFAULT_WEBHOOK_MAX_BODY_BYTES,
  );
  const timeoutMs = positiveInteger(
    'webhookHandler.readTimeoutMs',
    options.readTimeoutMs,
    DEFAULT_READ_TIMEOUT_MS,
  );
  const logger = options.logger ?? consoleLogger();

  async function receive(req: Request, res: Response): Promise<void> {
    if (req.method !== 'POST') {
      send(
        res,
        { status: 405, body: { ok: false, message: 'webhooks are POSTed' } },
        { Allow: 'POST' },
      );
      return;
    }
    const source = inspectBody(req);
    if (source.kind === 'consumed') {
      const message = `webhook body unavailable: ${source.reason}; ${MOUNTING_HELP}`;
      logger.error({ receiver: receiver.name, path: req.originalUrl }, message);
      send(res, { status: 500, body: { ok: false, code: 'ERR_WEBHOOK_BODY_CONSUMED', message } });
      return;
    }
    let body: Uint8Array;
    if (source.kind === 'buffer') {
      body = source.body;
    } else {
      const read = await readRawBody(req, { maxBytes, timeoutMs });
      if (read.kind === 'aborted') {
        res.destroy();
        return;
      }
      if (read.kind === 'too-large' || read.kind === 'timeout') {
        const answer: WebhookResponse =
          read.kind === 'too-large'
            ? {
                status: 413,
                body: {
                  ok: false,
                  code: 'ERR_WEBHOOK_BODY_TOO_LARGE',
                  message: `webhook body over ${maxBytes} bytes`,
                },
              }
            : { status: 408, body: { ok: false, message: 'webhook body not received in time' } };
        // The rest of the upload is not wanted: close instead of draining it on a kept-alive socket.
        send(res, answer, { Connection: 'close' });
        return;
      }
      body = read.body;
    }
    const answer = await receiver.handle({
      headers: req.headers,
      body,
      remoteAddress: req.ip ?? req.socket.remoteAddress,
    });
    send(res, answer);
  }

  return function portcullisWebhook(req: Request, res: Response): void {
    receive(req, res).catch((error: unknown) => {
      // Receivers answer their own failures; reaching here is a bug or an unexpected throw.
      logger.error(
        { receiver: receiver.name, code: isPortcullisError(error) ? error.code : undefined },
        'webhook receiver failed',
      );
      const status = isPortcullisError(error) && error.status >= 500 ? error.status : 500;
      send(res, {
        status,
        body: {
          ok: false,
          ...(isPortcullisError(error) ? { code: error.code } : {}),
          message: 'webhook not applied',
        },
      });
    });
  };
}
