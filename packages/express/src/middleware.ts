import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PortcullisError } from '@portcullis/core';
import type { Authenticator, CredentialKind, Principal, Requirements } from '@portcullis/core';
import './augment.js';
import { DEFAULT_REALM, setAuthContext } from './context.js';
import type { AuthContext } from './context.js';
import {
  invalidOption,
  isPlainObject,
  rejectUnknownKeys,
  validateBoolean,
  validateCredentialKinds,
  validateRealm,
  validateRequirements,
} from './options.js';
import { toRequestLike } from './request-like.js';
import { sendError } from './send-error.js';

/**
 * The part of the authenticator the middleware uses. `authenticateOrDefer` (core's synchronous
 * cache-hit path) is used when present; a stand-in with only `authenticate` works too.
 */
export type RequestAuthenticator = Pick<
  Authenticator,
  'authenticate' | 'authorize' | 'acceptsBasic'
> &
  Partial<Pick<Authenticator, 'authenticateOrDefer'>>;

/** Options of {@link m2mAuth}. */
export interface M2MAuthOptions {
  /** Realm named in `WWW-Authenticate` challenges. Default `'api'`. */
  readonly realm?: string;
  /**
   * Route requirements (permissions, roles, scopes, owner kind, tenant) checked right after
   * authentication on every request, cache hits included. Default: none.
   */
  readonly requirements?: Requirements;
  /**
   * Credential kinds this mount accepts, on top of the vendor policy the authenticator enforces.
   * Checked on the verified principal (a client-credentials JWT sent as Bearer is still a client
   * credential). Default: every kind the policy accepts.
   */
  readonly acceptedCredentials?: readonly CredentialKind[];
  /**
   * Hand every failure to the app's error handler with `next(err)` (a `PortcullisError`, exactly
   * once) instead of answering. Pair with `m2mErrorHandler()` or render it yourself. Default `false`.
   */
  readonly passErrors?: boolean;
}

interface ResolvedOptions {
  readonly realm: string;
  readonly requirements: Requirements | undefined;
  readonly acceptedCredentials: readonly CredentialKind[] | undefined;
  readonly passErrors: boolean;
}

const KNOWN_OPTIONS = new Set(['realm', 'requirements', 'acceptedCredentials', 'passErrors']);

function resolveOptions(options: unknown): ResolvedOptions {
  if (!isPlainObject(options)) invalidOption('m2mAuth', 'options must be an object');
  rejectUnknownKeys('m2mAuth', options, KNOWN_OPTIONS);
  const { realm, requirements, acceptedCredentials, passErrors } = options;
  return {
    realm: realm === undefined ? DEFAULT_REALM : validateRealm('m2mAuth.realm', realm),
    requirements:
      requirements === undefined
        ? undefined
        : validateRequirements('m2mAuth.requirements', requirements),
    acceptedCredentials:
      acceptedCredentials === undefined
        ? undefined
        : validateCredentialKinds('m2mAuth.acceptedCredentials', acceptedCredentials),
    passErrors:
      passErrors === undefined ? false : validateBoolean('m2mAuth.passErrors', passErrors),
  };
}

function isPromiseLike(value: unknown): value is PromiseLike<Principal> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function assertAuthenticator(value: unknown): asserts value is RequestAuthenticator {
  const candidate = value as Partial<RequestAuthenticator> | null | undefined;
  if (
    typeof candidate?.authenticate !== 'function' ||
    typeof candidate.authorize !== 'function' ||
    typeof candidate.acceptsBasic !== 'function'
  ) {
    invalidOption('authenticator', 'must be the value returned by createAuthenticator()');
  }
}

/**
 * Express middleware that authenticates the machine calling the route: on success it sets
 * `req.auth` (the {@link Principal}) and calls `next()`; on failure it answers per RFC 6750 —
 * 400 `invalid_request` (malformed, several credentials, `access_token` in the query or form body),
 * 401 with a challenge (no credential; `invalid_token`), 403 `insufficient_scope` (requirements),
 * 503 with `Retry-After` when the IdP cannot answer — or, with `passErrors`, calls `next(err)`.
 * Works with Express 4 and 5. Options are validated here and throw `ERR_INVALID_OPTION`.
 *
 * @example
 * app.use('/api', m2mAuth(authenticator, { requirements: { permissions: ['orders:read'] } }));
 */
export function m2mAuth(
  authenticator: RequestAuthenticator,
  options: M2MAuthOptions = {},
): RequestHandler {
  assertAuthenticator(authenticator);
  const { realm, requirements, acceptedCredentials, passErrors } = resolveOptions(options);
  const mayOfferBasic = acceptedCredentials?.includes('client_credentials') ?? true;
  const offersBasic = (): boolean => mayOfferBasic && authenticator.acceptsBasic();
  // The two contexts a request can get, built once instead of per request.
  const withBasic: AuthContext = Object.freeze({ realm, basic: true, passErrors });
  const withoutBasic: AuthContext = Object.freeze({ realm, basic: false, passErrors });
  const defer =
    typeof authenticator.authenticateOrDefer === 'function'
      ? authenticator.authenticateOrDefer.bind(authenticator)
      : authenticator.authenticate.bind(authenticator);

  /** Answers (or passes on) a failure. Runs at most once per request: see `portcullisM2MAuth`. */
  const fail = (res: Response, next: NextFunction, error: unknown): void => {
    if (passErrors) next(error);
    else sendError(res, error, { realm, basic: offersBasic() });
  };

  /** The route's own checks on the principal; returns the error instead of throwing it. */
  const check = (principal: Principal): unknown => {
    try {
      if (
        acceptedCredentials !== undefined &&
        !acceptedCredentials.includes(principal.credential)
      ) {
        return new PortcullisError(
          'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
          `this route does not accept ${principal.credential} credentials`,
        );
      }
      if (requirements !== undefined) authenticator.authorize(principal, requirements);
      return undefined;
    } catch (error) {
      return error;
    }
  };

  const admit = (req: Request, res: Response, next: NextFunction, principal: Principal): void => {
    const error = check(principal);
    if (error !== undefined) {
      fail(res, next, error);
      return;
    }
    req.auth = principal;
    // Outside any try: an exception thrown further down the chain must never come back here
    // and turn into a second answer.
    next();
  };

  return function portcullisM2MAuth(req: Request, res: Response, next: NextFunction): void {
    setAuthContext(req, offersBasic() ? withBasic : withoutBasic);
    let answer: Principal | Promise<Principal>;
    try {
      answer = defer(toRequestLike(req));
    } catch (error) {
      fail(res, next, error);
      return;
    }
    // A cache hit answers synchronously: no promise, no closure.
    if (!isPromiseLike(answer)) {
      admit(req, res, next, answer);
      return;
    }
    // Exactly one of the two callbacks runs, and each answers or passes on once.
    answer.then(
      (principal) => admit(req, res, next, principal),
      (error: unknown) => fail(res, next, error),
    );
  };
}
