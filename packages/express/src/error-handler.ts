import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { isPortcullisError } from '@portcullis/core';
import { DEFAULT_REALM, findAuthContext } from './context.js';
import { invalidOption, isPlainObject, rejectUnknownKeys, validateRealm } from './options.js';
import { sendError } from './send-error.js';

/** Options of {@link m2mErrorHandler}. */
export interface M2MErrorHandlerOptions {
  /** Realm for challenges when no Portcullis step ran on the request. Default `'api'`. */
  readonly realm?: string;
}

/**
 * Express error handler that renders Portcullis failures exactly like `m2mAuth()` does: RFC 6750
 * status, `WWW-Authenticate`, `Retry-After` on 503, JSON `{error, error_description, code}`.
 * It handles a `PortcullisError` (from `m2mAuth({ passErrors: true })`, the guards in that mode,
 * or a Passport strategy's `error()` such as an IdP outage → 503) and Passport's
 * `AuthenticationError` under `failWithError: true` (rendered from the failure the m2m strategies
 * recorded). Every other error goes on to the next error handler untouched.
 *
 * @example
 * app.get('/orders', passport.authenticate(['m2m-bearer', 'm2m-basic'], { session: false, failWithError: true }), list);
 * app.use(m2mErrorHandler());
 */
export function m2mErrorHandler(options: M2MErrorHandlerOptions = {}): ErrorRequestHandler {
  if (!isPlainObject(options)) invalidOption('m2mErrorHandler', 'options must be an object');
  rejectUnknownKeys('m2mErrorHandler', options, new Set(['realm']));
  const fallbackRealm =
    options.realm === undefined
      ? DEFAULT_REALM
      : validateRealm('m2mErrorHandler.realm', options.realm);

  return function portcullisErrorHandler(
    err: unknown,
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    const context = findAuthContext(req);
    const error = isPassportFailure(err) && context?.failure !== undefined ? context.failure : err;
    if (!isPortcullisError(error) || res.headersSent) {
      next(err);
      return;
    }
    sendError(res, error, {
      realm: context?.realm ?? fallbackRealm,
      basic: context?.basic ?? false,
    });
  };
}

function isPassportFailure(err: unknown): boolean {
  return err instanceof Error && err.name === 'AuthenticationError';
}
