import type { Request } from 'express';

/** Where the raw webhook body can come from, or why it cannot be trusted any more. */
export type BodySource =
  | { readonly kind: 'buffer'; readonly body: Uint8Array }
  | { readonly kind: 'stream' }
  | { readonly kind: 'consumed'; readonly reason: string };

/**
 * Decides whether the exact bytes the sender signed are still available. A parsed body is never
 * accepted: re-serialised JSON differs from what was signed (key order, spacing, unicode escapes),
 * so verifying it would either fail at random or, worse, teach people to sign something else.
 */
export function inspectBody(req: Request): BodySource {
  const body = req.body as unknown;
  if (body instanceof Uint8Array) return { kind: 'buffer', body };
  if (typeof body === 'string') {
    return { kind: 'consumed', reason: 'a text body parser (express.text()) already decoded it' };
  }
  if (body !== undefined) {
    return {
      kind: 'consumed',
      reason: 'a body parser (e.g. express.json() or express.urlencoded()) already parsed it',
    };
  }
  // body-parser marks requests it read with `_body`; a flowing or ended stream was read by
  // someone else, so the bytes are gone.
  if (
    (req as { _body?: unknown })._body === true ||
    req.readableEnded ||
    req.readableFlowing !== null
  ) {
    return { kind: 'consumed', reason: 'another middleware already read the request stream' };
  }
  return { kind: 'stream' };
}

export type ReadResult =
  | { readonly kind: 'body'; readonly body: Uint8Array }
  | { readonly kind: 'too-large' }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' };

/**
 * Reads the request stream into memory, at most `maxBytes` (a larger `Content-Length` is refused
 * before reading) and within `timeoutMs` for the whole body (a slow sender cannot hold the handler).
 */
export function readRawBody(
  req: Request,
  limits: { readonly maxBytes: number; readonly timeoutMs: number },
): Promise<ReadResult> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limits.maxBytes) {
    return Promise.resolve({ kind: 'too-large' });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: ReadResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      // Whatever is still arriving is discarded rather than buffered.
      if (result.kind !== 'body') req.resume();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limits.maxBytes) finish({ kind: 'too-large' });
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'body', body: Buffer.concat(chunks, size) });
    const onAbort = (): void => finish({ kind: 'aborted' });
    const onClose = (): void => {
      if (!req.readableEnded) finish({ kind: 'aborted' });
    };
    const timer = setTimeout(() => finish({ kind: 'timeout' }), limits.timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}
