/**
 * Contract runner 2: every HTTP request the `frontegg` preset makes while the existing Frontegg
 * suites run (imported below, so their tests run here too) is recorded by an intercepting undici
 * dispatcher and checked against the contract table: the route must be a row the preset is
 * listed as calling, every required header must be there, and no Frontegg header may be sent that
 * the row does not name. Finally every row the preset calls must have been exercised.
 *
 * The preset reaches the network only through undici's `request` (core's `idpRequest`); the mock
 * below hands each of those calls an intercepting dispatcher composed over the one it was given.
 * The tests' own `fetch` calls (Node's bundled undici) are not recorded: they are not the preset.
 */
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { routeFor } from './table.js';
import { FRONTEGG_CONTRACT } from './table.js';

interface Recorded {
  readonly method: string;
  readonly origin: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

const { recorded } = vi.hoisted(() => ({ recorded: [] as Recorded[] }));

vi.mock('undici', async (importOriginal) => {
  const actual = await importOriginal<typeof Undici>();
  const record: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    recorded.push({
      method: options.method,
      origin: String(options.origin ?? ''),
      path: options.path,
      headers: headerRecord(options.headers),
    });
    return dispatch(options, handler);
  };
  return {
    ...actual,
    request: ((url: Parameters<typeof actual.request>[0], options?: { dispatcher?: Dispatcher }) =>
      actual.request(url, {
        ...options,
        dispatcher: (options?.dispatcher ?? actual.getGlobalDispatcher()).compose(record),
      } as Parameters<typeof actual.request>[1])) as typeof actual.request,
  };
});

/** undici hands headers as an object, a flat [name, value, ...] array or an iterable of pairs. */
function headerRecord(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === null || headers === undefined) return out;
  if (Array.isArray(headers) && (headers.length === 0 || typeof headers[0] !== 'object')) {
    for (let index = 0; index + 1 < headers.length; index += 2) {
      out[String(headers[index]).toLowerCase()] = String(headers[index + 1]);
    }
    return out;
  }
  const entries =
    typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function'
      ? [...(headers as Iterable<[string, string]>)]
      : Object.entries(headers as Record<string, string>);
  for (const [name, value] of entries) out[name.toLowerCase()] = String(value);
  return out;
}

// The existing Frontegg suites: their describe blocks register here and run with the recorder.
// Specifiers held in a list, so the type check of test/ does not pull the packages' sources in.
const FRONTEGG_SUITES = [
  '../../../packages/core/test/frontegg-provider.test.js',
  '../../../packages/core/test/frontegg-webhook.test.js',
  '../../../packages/core/test/frontegg-deletion-watch.test.js',
  '../../../packages/core/test/frontegg-emulator.test.js',
  '../../../packages/express/test/emulator.test.js',
  '../../conformance/core.test.js',
  './two-origins.test.js',
];
for (const suite of FRONTEGG_SUITES) await import(suite);

afterAll(() => {
  recorded.length = 0;
});

const FRONTEGG_HEADER = /^(frontegg-|x-access-token$)/;

describe('Frontegg contract: every request the preset made during the Frontegg suites', () => {
  it('went to a route of the table that the preset is listed as calling, with its headers', () => {
    // Only what the preset sent: core's requests carry `user-agent: portcullis`.
    const calls = recorded.filter((call) => call.headers['user-agent'] === 'portcullis');
    expect(calls.length).toBeGreaterThan(50);
    const problems = new Set<string>();
    for (const call of calls) {
      const path = call.path.split('?')[0] ?? '';
      const route = routeFor(call.method, path);
      const what = `${call.method} ${path}`;
      if (route === undefined) {
        problems.add(`${what}: not in the contract table`);
        continue;
      }
      if (!route.preset)
        problems.add(`${what}: the table does not list it as called by the preset`);
      const required = [
        ...route.requiredHeaders,
        ...(route.auth === 'vendor' ? ['x-access-token'] : []),
      ];
      for (const header of required) {
        if (call.headers[header] === undefined) problems.add(`${what}: ${header} missing`);
      }
      const allowed = new Set([...required, ...(route.optionalHeaders ?? [])]);
      for (const header of Object.keys(call.headers)) {
        if (FRONTEGG_HEADER.test(header) && !allowed.has(header)) {
          problems.add(`${what}: sends ${header}, which the table does not name`);
        }
      }
    }
    expect([...problems]).toEqual([]);
  });

  it('exercised every route the table says the preset calls', () => {
    const calls = recorded.filter((call) => call.headers['user-agent'] === 'portcullis');
    const seen = new Set(
      calls.map((call) => routeFor(call.method, call.path.split('?')[0] ?? '')).filter(Boolean),
    );
    const missing = FRONTEGG_CONTRACT.filter((route) => route.preset && !seen.has(route)).map(
      (route) => `${route.method} ${route.path}`,
    );
    expect(missing).toEqual([]);
  });
});
