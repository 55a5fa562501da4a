import type { Response } from 'express';
import { errorResponse } from '@portcullis/core';

/**
 * Answers a failed authentication or authorization per RFC 6750 with core's `errorResponse`:
 * status, `WWW-Authenticate`, `Retry-After` (503/429) and the JSON body `{error,
 * error_description, code}`. Anything that is not a PortcullisError becomes a generic 500.
 */
export function sendError(
  res: Response,
  error: unknown,
  options: { readonly realm: string; readonly basic: boolean },
): void {
  // Somebody already answered: writing again would throw ERR_HTTP_HEADERS_SENT (the bug class of
  // Frontegg SDK #40). The connection is closed so the client does not wait on a half answer.
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const answer = errorResponse(error, options);
  res.status(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
  res.json(answer.body);
}
