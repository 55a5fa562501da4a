/**
 * The authentication step shared by the proxy, forward-auth and upgrade paths: route rule →
 * (abuse limit) → authenticate → authorize. Route requirements are evaluated on every request,
 * cache hits included, so a cached principal never carries one route's decision to another.
 */
import type { IncomingMessage } from 'node:http';
import { PortcullisError, isPortcullisError } from '@portcullis/core';
import type { Principal } from '@portcullis/core';
import type { SidecarAuthenticator } from '../authenticator-port.js';
import { decideRoute } from '../rules/route-rules.js';
import type { CompiledRule, DefaultAction, RouteDecision } from '../rules/route-rules.js';
import type { AbuseLimiter, MissTracker } from './abuse-limit.js';
import { headerValues } from './request-headers.js';

export type AccessDecision =
  | { readonly kind: 'public'; readonly rule: string }
  | { readonly kind: 'allow'; readonly rule: string; readonly principal: Principal };

export interface DecideOptions {
  readonly authenticator: SidecarAuthenticator;
  readonly rules: readonly CompiledRule[];
  readonly defaultAction: DefaultAction;
  readonly abuse: AbuseLimiter | undefined;
  readonly misses: MissTracker | undefined;
}

/**
 * Decide one request. `method` and `path` are the original request's (normalised path);
 * `target` is what core checks for `access_token` in the query. Throws `PortcullisError`.
 * Answers synchronously when the authenticator can (a cache hit): callers `await` the result
 * either way, without a promise chain built for the hit.
 */
export function decideAccess(
  options: DecideOptions,
  request: IncomingMessage,
  method: string,
  path: string,
  target: string,
  client: string,
): AccessDecision | Promise<AccessDecision> {
  const route = decideRoute(options.rules, options.defaultAction, method, path, (name) =>
    headerValues(request, name),
  );
  if (route.action === 'public') return { kind: 'public', rule: route.rule };
  if (route.action === 'deny') {
    throw new PortcullisError('ERR_INSUFFICIENT_SCOPE', 'no route rule allows this request', {
      details: { rule: route.rule },
    });
  }
  const retryAfterSec = options.abuse?.retryAfterSec(client) ?? 0;
  if (retryAfterSec > 0) {
    throw new PortcullisError(
      'ERR_RATE_LIMITED',
      'too many failed authentications from this client',
      {
        retryAfterSec,
      },
    );
  }
  const requestLike = { headers: request.headers, rawHeaders: request.rawHeaders, url: target };
  const { authenticator } = options;
  if (options.misses !== undefined) {
    // Misses are charged to the client: always through the tracker's promise.
    const authenticate = (): Promise<Principal> => authenticator.authenticate(requestLike);
    return options.misses.run(client, authenticate).then(
      (principal) => allow(options, route, principal),
      (error: unknown) => refuse(options, client, error),
    );
  }
  let answer: Principal | Promise<Principal>;
  try {
    answer =
      authenticator.authenticateOrDefer === undefined
        ? authenticator.authenticate(requestLike)
        : authenticator.authenticateOrDefer(requestLike);
  } catch (error) {
    return refuse(options, client, error);
  }
  if (answer instanceof Promise) {
    return answer.then(
      (principal) => allow(options, route, principal),
      (error: unknown) => refuse(options, client, error),
    );
  }
  return allow(options, route, answer);
}

type Allowed = Extract<RouteDecision, { action: 'authenticate' }>;

function allow(options: DecideOptions, route: Allowed, principal: Principal): AccessDecision {
  options.authenticator.authorize(principal, route.requirements);
  return { kind: 'allow', rule: route.rule, principal };
}

/** Counts the client's own failures (an IdP outage must not lock clients out), then rethrows. */
function refuse(options: DecideOptions, client: string, error: unknown): never {
  if (
    options.abuse !== undefined &&
    isPortcullisError(error) &&
    (error.status === 400 || error.status === 401)
  ) {
    options.abuse.recordFailure(client);
  }
  throw error;
}
