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
import type { CompiledRule, DefaultAction } from '../rules/route-rules.js';
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
 */
export async function decideAccess(
  options: DecideOptions,
  request: IncomingMessage,
  method: string,
  path: string,
  target: string,
  client: string,
): Promise<AccessDecision> {
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
  let principal: Principal;
  try {
    const authenticate = (): Promise<Principal> =>
      options.authenticator.authenticate({
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        url: target,
      });
    principal = await (options.misses === undefined
      ? authenticate()
      : options.misses.run(client, authenticate));
  } catch (error) {
    // Only the client's own failures count; an IdP outage must not lock clients out.
    if (
      options.abuse !== undefined &&
      isPortcullisError(error) &&
      (error.status === 400 || error.status === 401)
    ) {
      options.abuse.recordFailure(client);
    }
    throw error;
  }
  options.authenticator.authorize(principal, route.requirements);
  return { kind: 'allow', rule: route.rule, principal };
}
