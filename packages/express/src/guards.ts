import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PortcullisError, authorize } from '@portcullis/core';
import type { OwnerKind, Requirements } from '@portcullis/core';
import { getAuthContext } from './context.js';
import { invalidOption, isPlainObject, validateNameList, validateOwnerKinds } from './options.js';
import { sendError } from './send-error.js';

/** `'a', 'b'` (all of them) or `{ all: [...] }` / `{ any: [...] }`. */
export type NameListSpec =
  | readonly string[]
  | readonly [{ readonly all: readonly string[] } | { readonly any: readonly string[] }];

interface ParsedList {
  readonly names: readonly string[];
  readonly mode: 'all' | 'any';
}

function parseNameList(guard: string, args: NameListSpec): ParsedList {
  const [first] = args;
  if (args.length === 1 && isPlainObject(first)) {
    const keys = Object.keys(first);
    if (keys.length !== 1 || (keys[0] !== 'all' && keys[0] !== 'any')) {
      invalidOption(guard, "takes names, or one object with exactly one of 'all' or 'any'");
    }
    const mode = keys[0];
    return {
      mode,
      names: validateNameList(`${guard}.${mode}`, (first as Record<string, unknown>)[mode]),
    };
  }
  return { mode: 'all', names: validateNameList(guard, args) };
}

/**
 * Builds a guard: the principal set by `m2mAuth()` (or the Passport strategies) must meet the
 * requirements; otherwise 403 `insufficient_scope` naming what is missing (core `authorize`),
 * answered in the style of the authentication that ran (realm, `passErrors`).
 */
function guard(name: string, requirementsFor: (req: Request) => Requirements): RequestHandler {
  let misconfigurationLogged = false;
  return function portcullisGuard(req: Request, res: Response, next: NextFunction): void {
    const context = getAuthContext(req);
    const reject = (error: unknown): void => {
      if (context.passErrors) next(error);
      else sendError(res, error, { realm: context.realm, basic: context.basic });
    };
    const principal = req.auth;
    if (principal === undefined) {
      // A guard without authentication in front of it is a mounting mistake, not a client error:
      // deny (fail closed), say so to the client, and log it once for the operator.
      const error = new PortcullisError(
        'ERR_NO_CREDENTIAL',
        `${name}() ran without an authenticated principal: mount m2mAuth() or passport.authenticate() with the m2m strategies before it`,
      );
      if (!misconfigurationLogged) {
        misconfigurationLogged = true;
        console.error(`[portcullis] ${error.message} (route ${req.method} ${req.originalUrl})`);
      }
      reject(error);
      return;
    }
    try {
      authorize(principal, requirementsFor(req));
    } catch (error) {
      reject(error);
      return;
    }
    next();
  };
}

/**
 * Requires permissions: `requirePermissions('orders:read', 'orders:write')` needs all of them,
 * `requirePermissions({ any: ['orders:read', 'orders:admin'] })` needs one.
 */
export function requirePermissions(...permissions: NameListSpec): RequestHandler {
  const { names, mode } = parseNameList('requirePermissions', permissions);
  const requirements: Requirements = { permissions: names, permissionsMode: mode };
  return guard('requirePermissions', () => requirements);
}

/** Requires roles; all of them by default, or `{ any: [...] }`. */
export function requireRoles(...roles: NameListSpec): RequestHandler {
  const { names, mode } = parseNameList('requireRoles', roles);
  const requirements: Requirements = { roles: names, rolesMode: mode };
  return guard('requireRoles', () => requirements);
}

/** Requires every listed OAuth scope. */
export function requireScopes(...scopes: readonly string[]): RequestHandler {
  const requirements: Requirements = { scopes: validateNameList('requireScopes', scopes) };
  return guard('requireScopes', () => requirements);
}

/** Requires the credential's owner to be one of the kinds: a tenant, a user or a bare OAuth client. */
export function requireOwnerKind(...kinds: readonly OwnerKind[]): RequestHandler {
  const valid = validateOwnerKinds('requireOwnerKind', kinds);
  const requirements: Requirements = { ownerKind: valid };
  return guard('requireOwnerKind', () => requirements);
}

/**
 * Binds the route to a tenant: the caller's `tenantId` must equal the one `tenantOf(req)` names
 * (e.g. `req => req.params.tenantId`). A missing tenant on either side denies, and so does a
 * list (an Express 5 wildcard parameter), which names no single tenant.
 */
export function requireTenant(
  tenantOf: (req: Request) => string | readonly string[] | null | undefined,
): RequestHandler {
  if (typeof tenantOf !== 'function') {
    invalidOption('requireTenant', 'takes a function that returns the tenant id the route names');
  }
  return guard('requireTenant', (req) => {
    const tenantId = tenantOf(req);
    return {
      tenantId: typeof tenantId === 'string' && tenantId !== '' ? tenantId : null,
      tenantRequired: true,
    };
  });
}
