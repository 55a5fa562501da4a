/** An error a route throws to answer with a Frontegg-style `{errors:[...]}` body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** A body other than `{errors:[message]}` (OAuth 2.0 routes answer RFC 6749 error objects). */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, message);
export const unauthorized = (message = 'Unauthorized'): HttpError => new HttpError(401, message);
export const forbidden = (message: string): HttpError => new HttpError(403, message);
export const notFound = (message: string): HttpError => new HttpError(404, message);
export const conflict = (message: string): HttpError => new HttpError(409, message);

/** Frontegg's exact wording (NODE `access-token.service.ts` matches on it). */
export const API_TOKENS_DISABLED = 'Api tokens are disabled';
export const apiTokensDisabled = (): HttpError => forbidden(API_TOKENS_DISABLED);
