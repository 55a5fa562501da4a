import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PortcullisError } from '@portcullis/core';
import type { Authenticator, CredentialKind, Requirements } from '@portcullis/core';
import './augment.js';
import { DEFAULT_REALM, setAuthContext } from './context.js';
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

/** The part of the authenticator the middleware uses. */
export type RequestAuthenticator = Pick<
  Authenticator,
  'authenticate' | 'authorize' | 'acceptsBasic'
>;

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
  const offersBasic = (): boolean =>
    (acceptedCredentials?.includes('client_credentials') ?? true) && authenticator.acceptsBasic();

  return function portcullisM2MAuth(req: Request, res: Response, next: NextFunction): void {
    // One flag guards both outcomes: the request is answered or passed on exactly once.
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      if (passErrors) next(error);
      else sendError(res, error, { realm, basic: offersBasic() });
    };
    setAuthContext(req, { realm, basic: offersBasic(), passErrors });

    authenticator.authenticate(toRequestLike(req)).then((principal) => {
      try {
        if (
          acceptedCredentials !== undefined &&
          !acceptedCredentials.includes(principal.credential)
        ) {
          throw new PortcullisError(
            'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
            `this route does not accept ${principal.credential} credentials`,
          );
        }
        if (requirements !== undefined) authenticator.authorize(principal, requirements);
      } catch (error) {
        fail(error);
        return;
      }
      if (settled) return;
      settled = true;
      req.auth = principal;
      // Outside any try: an exception thrown further down the chain must never come back here
      // and turn into a second answer.
      next();
    }, fail);
  };
}
