/**
 * `/.portcullis/webhooks/{name}`: core's receivers mounted on the main listener, in both modes,
 * never proxied. The raw body is read with a bound; an optional source allow-list applies first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebhookReceiver } from '@portcullis/core';

export interface WebhookEndpointOptions {
  readonly receivers: Readonly<Record<string, WebhookReceiver>>;
  readonly maxBodyBytes: number;
  /** Returns false when the client address is not allowed to deliver webhooks. */
  readonly allowSource: (client: string) => boolean;
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  extra: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    ...extra,
  });
  response.end(text);
}

/** Read the body up to `limit` bytes; `undefined` when it is larger. */
async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const declared = Number(request.headers['content-length'] ?? '0');
  if (declared > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Handle one webhook delivery; resolves with the status sent and the outcome for the log. */
export async function handleWebhook(
  options: WebhookEndpointOptions,
  name: string,
  request: IncomingMessage,
  response: ServerResponse,
  client: string,
): Promise<{ status: number; outcome: string }> {
  const receiver = Object.hasOwn(options.receivers, name) ? options.receivers[name] : undefined;
  if (receiver === undefined) {
    sendJson(response, 404, { ok: false, message: 'no such webhook receiver' });
    return { status: 404, outcome: 'unknown-receiver' };
  }
  if (request.method !== 'POST') {
    sendJson(response, 405, { ok: false, message: 'webhooks are POST' }, { allow: 'POST' });
    return { status: 405, outcome: 'method' };
  }
  if (!options.allowSource(client)) {
    sendJson(response, 403, {
      ok: false,
      code: 'ERR_WEBHOOK_SOURCE_FORBIDDEN',
      message: 'webhook source address not allowed',
    });
    return { status: 403, outcome: 'source-forbidden' };
  }
  const body = await readBody(request, options.maxBodyBytes);
  if (body === undefined) {
    sendJson(
      response,
      413,
      { ok: false, code: 'ERR_WEBHOOK_BODY_TOO_LARGE', message: 'webhook body too large' },
      { connection: 'close' },
    );
    return { status: 413, outcome: 'too-large' };
  }
  const answer = await receiver.handle({ headers: request.headers, body, remoteAddress: client });
  sendJson(response, answer.status, answer.body);
  return {
    status: answer.status,
    outcome: answer.body.ok ? 'accepted' : (answer.body.code ?? 'rejected'),
  };
}
