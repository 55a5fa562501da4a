import type { IncomingHttpHeaders } from 'node:http';

/** Route groups: the unit the fault injector targets. `admin` is never faulted. */
export type RouteGroup =
  | 'vendor'
  | 'identity'
  | 'exchange'
  | 'vendor-only'
  | 'jwks'
  | 'configurations'
  | 'oauth'
  | 'webhooks'
  | 'admin';

/**
 * Which origin serves a route when the emulator runs on two (`appPort`): Frontegg's vendor API
 * gateway, or the environment's app domain (JWKS, the API-token exchange, user login, the OAuth
 * routes). With one origin, every route is served there (frontegg-api-facts.md "Domains").
 */
export type RouteOrigin = 'vendor' | 'app' | 'both';
/** What one listener serves. */
export type ListenerSide = 'vendor' | 'app' | 'both';

const APP_GROUPS: ReadonlySet<RouteGroup> = new Set(['exchange', 'jwks', 'oauth']);

export interface RouteContext {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the fields of a form body, or undefined when empty. */
  readonly body: unknown;
}

export interface RouteAnswer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export type RouteHandler = (context: RouteContext) => Promise<RouteAnswer> | RouteAnswer;

interface Route {
  readonly method: string;
  readonly segments: readonly string[];
  readonly group: RouteGroup;
  readonly origin: RouteOrigin;
  readonly handler: RouteHandler;
}

/** A route as `RunningEmulator.routes` lists it. */
export interface RouteInfo {
  readonly method: string;
  /** `:name` segments are parameters. */
  readonly path: string;
  readonly group: RouteGroup;
  readonly origin: RouteOrigin;
}

export interface RouteMatch {
  readonly route: { readonly group: RouteGroup; readonly handler: RouteHandler };
  readonly params: Record<string, string>;
}

/** A tiny method + path router; `:name` segments capture, first registered match wins. */
export class Router {
  private readonly routes: Route[] = [];

  /** Adds a route; its origin defaults from the group (exchange, jwks, oauth: app; admin: both). */
  add(
    method: string,
    path: string,
    group: RouteGroup,
    handler: RouteHandler,
    origin: RouteOrigin = defaultOrigin(group),
  ): void {
    this.routes.push({ method, segments: split(path), group, origin, handler });
  }

  /** The matching route, `'method'` when only the method differs, or undefined. */
  match(
    method: string,
    path: string,
    side: ListenerSide = 'both',
  ): RouteMatch | 'method' | undefined {
    const segments = split(path);
    let methodMismatch = false;
    for (const route of this.routes) {
      if (!serves(side, route.origin)) continue;
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method !== method) {
        methodMismatch = true;
        continue;
      }
      return { route, params };
    }
    return methodMismatch ? 'method' : undefined;
  }

  /** Every route, in registration order. */
  list(): readonly RouteInfo[] {
    return this.routes.map((route) => ({
      method: route.method,
      path: `/${route.segments.join('/')}`,
      group: route.group,
      origin: route.origin,
    }));
  }

  /** The group a path belongs to, for faults on unmatched methods too. */
  groupOf(path: string, side: ListenerSide = 'both'): RouteGroup | undefined {
    const segments = split(path);
    return this.routes.find(
      (route) => serves(side, route.origin) && matchSegments(route.segments, segments),
    )?.group;
  }
}

function defaultOrigin(group: RouteGroup): RouteOrigin {
  if (group === 'admin') return 'both';
  return APP_GROUPS.has(group) ? 'app' : 'vendor';
}

function serves(side: ListenerSide, origin: RouteOrigin): boolean {
  return side === 'both' || origin === 'both' || origin === side;
}

function split(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(
  pattern: readonly string[],
  actual: readonly string[],
): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index] as string;
    const value = actual[index] as string;
    if (expected.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        return undefined;
      }
      params[expected.slice(1)] = decoded;
    } else if (expected !== value) {
      return undefined;
    }
  }
  return params;
}
