import type { Request } from 'express';

/**
 * How the authentication step that ran on this request answers failures, so later steps (route
 * guards, `m2mErrorHandler`) answer in the same style: same realm, same `Basic` challenge, same
 * choice between responding and `next(err)`.
 */
export interface AuthContext {
  readonly realm: string;
  /** Whether the `Basic realm=...` challenge is offered (Basic currently accepted). */
  readonly basic: boolean;
  readonly passErrors: boolean;
  /** The first decisive Passport failure, rendered by `m2mErrorHandler` under `failWithError`. */
  failure?: unknown;
}

/** `Symbol.for` so two copies of this package in one app still share the context. */
const CONTEXT = Symbol.for('portcullis.express.auth-context');

/** The realm used when nothing configured one. */
export const DEFAULT_REALM = 'api';

const DEFAULT_CONTEXT: AuthContext = Object.freeze({
  realm: DEFAULT_REALM,
  basic: false,
  passErrors: false,
});

type WithContext = Request & { [CONTEXT]?: AuthContext };

export function setAuthContext(req: Request, context: AuthContext): AuthContext {
  (req as WithContext)[CONTEXT] = context;
  return context;
}

export function findAuthContext(req: Request): AuthContext | undefined {
  return (req as WithContext)[CONTEXT];
}

export function getAuthContext(req: Request): AuthContext {
  return findAuthContext(req) ?? DEFAULT_CONTEXT;
}
