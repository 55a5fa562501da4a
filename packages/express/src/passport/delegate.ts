import type { Request } from 'express';
import { errorResponse, extractCredential, isPortcullisError } from '@portcullis/core';
import type { Authenticator, CredentialForm } from '@portcullis/core';
import { findAuthContext, setAuthContext } from '../context.js';
import type { AuthContext } from '../context.js';
import { invalidOption } from '../options.js';
import { toRequestLike } from '../request-like.js';
import type { StrategySettings } from './strategy-options.js';

/** The part of the authenticator the strategies use. */
export type StrategyAuthenticator = Pick<Authenticator, 'authenticate' | 'acceptsBasic'>;

/** The actions Passport adds to a strategy instance for one request. */
export interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge?: string, status?: number): void;
  error(err: unknown): void;
}

/** Statuses that are Passport failures (the client's fault); anything else is `error()`. */
const FAILURE_STATUSES = new Set([400, 401, 403]);

export function assertStrategyAuthenticator(
  name: string,
  value: unknown,
): asserts value is StrategyAuthenticator {
  const candidate = value as Partial<StrategyAuthenticator> | null | undefined;
  if (
    typeof candidate?.authenticate !== 'function' ||
    typeof candidate.acceptsBasic !== 'function'
  ) {
    invalidOption(`${name}.authenticator`, 'must be the value returned by createAuthenticator()');
  }
}

/**
 * The credential form a request carries, per core's parser, or undefined when the request is
 * not well-formed (no credential, several, malformed). Only decides which strategy answers: the
 * authenticator parses again and gives the authoritative answer.
 */
export function credentialForm(
  req: Request,
  settings: StrategySettings,
): CredentialForm | undefined {
  try {
    return extractCredential(toRequestLike(req), settings).form;
  } catch {
    return undefined;
  }
}

function contextFor(req: Request, settings: StrategySettings, basic: boolean): AuthContext {
  const existing = findAuthContext(req);
  if (existing !== undefined && existing.realm === settings.realm && !existing.passErrors) {
    return existing;
  }
  return setAuthContext(req, { realm: settings.realm, basic, passErrors: false });
}

function isNoCredential(error: unknown): boolean {
  return isPortcullisError(error) && error.code === 'ERR_NO_CREDENTIAL';
}

function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/**
 * Runs the authenticator for a strategy and reports the outcome to Passport so the answer equals
 * the middleware's: success → `req.auth` and `req.user` are the Principal; 400/401/403 →
 * `fail(challenge, status)` with the same `WWW-Authenticate` value `m2mAuth()` sends (and the
 * error recorded for `m2mErrorHandler()`); IdP trouble and anything unexpected → `error(err)`.
 *
 * @param noCredentialChallenge the strategy's own challenge when the request has no credential,
 *   so two strategies tried in a row add up to the middleware's `Bearer ..., Basic ...` pair.
 */
export function authenticateForPassport(
  actions: PassportActions,
  req: Request,
  authenticator: StrategyAuthenticator,
  settings: StrategySettings,
  noCredentialChallenge: (basic: boolean) => string | undefined,
): void {
  const basic = authenticator.acceptsBasic();
  const context = contextFor(req, settings, basic);
  authenticator.authenticate(toRequestLike(req)).then(
    (principal) => {
      context.failure = undefined;
      req.auth = principal;
      actions.success(principal);
    },
    (error: unknown) => {
      if (!isPortcullisError(error) || !FAILURE_STATUSES.has(error.status)) {
        actions.error(error);
        return;
      }
      const noCredential = error.code === 'ERR_NO_CREDENTIAL';
      // The first decisive failure is what `m2mErrorHandler()` renders; "no credential" from one
      // strategy yields to a real verdict from the next.
      if (context.failure === undefined || (isNoCredential(context.failure) && !noCredential)) {
        context.failure = error;
      }
      if (noCredential) {
        actions.fail(noCredentialChallenge(basic), 401);
        return;
      }
      const answer = errorResponse(error, { realm: settings.realm, basic });
      actions.fail(headerValue(answer.headers, 'www-authenticate'), answer.status);
    },
  );
}

/**
 * Declines a request that carries the other strategy's credential form: no challenge and no
 * status, so Passport moves on and the deciding strategy's answer is what the client gets.
 */
export function decline(actions: PassportActions): void {
  actions.fail();
}
