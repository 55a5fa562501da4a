import { describe, expect, it } from 'vitest';
import { buildChallenge } from '../src/http/challenge.js';

describe('buildChallenge', () => {
  it('has no error attribute when no credential was sent (RFC 6750 §3.1)', () => {
    expect(buildChallenge({ realm: 'api' })).toBe('Bearer realm="api"');
  });

  it('adds error and error_description', () => {
    expect(
      buildChallenge({
        realm: 'api',
        error: 'invalid_token',
        description: 'The access token expired',
      }),
    ).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The access token expired"',
    );
  });

  it('adds the scope for insufficient_scope, space-separated', () => {
    expect(
      buildChallenge({
        realm: 'api',
        error: 'insufficient_scope',
        description: 'missing scope(s): b',
        scope: ['a', 'b'],
      }),
    ).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="missing scope(s): b", scope="a b"',
    );
  });

  it('offers Basic as a second challenge', () => {
    expect(buildChallenge({ realm: 'orders', basic: true })).toBe(
      'Bearer realm="orders", Basic realm="orders"',
    );
    expect(buildChallenge({ realm: 'orders', error: 'invalid_token', basic: true })).toBe(
      'Bearer realm="orders", error="invalid_token", Basic realm="orders"',
    );
  });

  it('escapes quotes and backslashes in quoted strings', () => {
    expect(
      buildChallenge({ realm: 'my "api"', error: 'invalid_request', description: 'a\\b "c"' }),
    ).toBe(
      'Bearer realm="my \\"api\\"", error="invalid_request", error_description="a\\\\b \\"c\\""',
    );
  });

  it('strips CR/LF and other controls so no input can inject a header', () => {
    const header = buildChallenge({
      realm: 'api\r\nSet-Cookie: x=1',
      error: 'invalid_token',
      description: 'bad\r\n\tthing\u0000',
    });
    for (const control of ['\r', '\n', '\t', '\u0000']) expect(header).not.toContain(control);
    expect(header).toBe(
      'Bearer realm="apiSet-Cookie: x=1", error="invalid_token", error_description="badthing"',
    );
  });

  it('replaces non-ASCII characters, which header values cannot carry safely', () => {
    expect(buildChallenge({ realm: 'café', error: 'invalid_token', description: 'ключ' })).toBe(
      'Bearer realm="caf?", error="invalid_token", error_description="????"',
    );
  });

  it('leaves out an empty description and an empty scope list', () => {
    expect(
      buildChallenge({ realm: 'api', error: 'invalid_token', description: '', scope: [] }),
    ).toBe('Bearer realm="api", error="invalid_token"');
  });
});
