/**
 * Hostile input (issue 9): fast-check fuzzing of credentials, webhook deliveries and sidecar
 * configuration — only ever the documented class of answer, never a crash — and a JWT attack corpus
 * against the frontegg preset (the emulator) and the oauth2 preset (a local JWKS we sign for).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify as toYaml } from 'yaml';
import {
  createAuthenticator,
  frontegg,
  isPortcullisError,
  oauth2,
  signStandardWebhook,
} from '@portcullis/core';
import type { Authenticator, RequestLike, WebhookReceiver } from '@portcullis/core';
import { ENV_VARIABLES, loadConfig } from '@portcullis/sidecar';
import { SignJWT } from 'jose';
import { startFronteggEnv } from './support/frontegg-env.js';
import type { FronteggEnv } from './support/frontegg-env.js';
import {
  createSigningKey,
  jwksOf,
  payloadOf,
  rawJwt,
  signJwt,
  signRaw,
  withPayload,
} from './support/jwt-kit.js';
import type { SigningKey } from './support/jwt-kit.js';
import { describeOutcome, outcomeOf } from './support/outcome.js';
import { createRecorder } from './support/recorder.js';
import { json, startScriptedServer } from './support/scripted-server.js';
import type { ScriptedServer } from './support/scripted-server.js';

const recorder = createRecorder('hostile-input');
// The report and the test outcome must agree: every observation recorded here was as expected.
afterAll(() => {
  expect(recorder.notOk()).toEqual([]);
});
const BOTH_KINDS = ['client_credentials', 'access_token'] as const;
const AUDIENCE = 'urn:reliability';
const STANDARD_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const FRONTEGG_HOOK_SECRET = 'frontegg-hook-secret-0123456789';

let env: FronteggEnv;
let idp: ScriptedServer;
let attacker: ScriptedServer;
let key: SigningKey;
let attackerKey: SigningKey;
let oauth: Authenticator;
let fe: Authenticator;
let issuer: string;

beforeAll(async () => {
  key = await createSigningKey('RS256');
  attackerKey = await createSigningKey('RS256');
  attacker = await startScriptedServer(() => json(200, jwksOf(attackerKey)));
  idp = await startScriptedServer((path) => {
    if (path === '/jwks') return json(200, jwksOf(key));
    if (path === '/token') return json(401, { error: 'invalid_client' });
    return json(404, { error: 'not_found' });
  });
  issuer = `${idp.url}/issuer`;
  oauth = createAuthenticator({
    provider: oauth2({
      issuer,
      audience: AUDIENCE,
      discovery: false,
      jwksUri: `${idp.url}/jwks`,
      tokenEndpoint: `${idp.url}/token`,
    }),
    policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
    webhooks: { standardSecrets: [STANDARD_SECRET] },
    idp: { timeoutMs: 1000 },
  });
  env = await startFronteggEnv(1);
  fe = createAuthenticator({
    provider: frontegg({ ...env.provider, webhookSecrets: [FRONTEGG_HOOK_SECRET] }),
    policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
    idp: { timeoutMs: 1000 },
  });
  await Promise.all([oauth.ready(), fe.ready()]);
});

afterAll(async () => {
  await oauth?.close();
  await fe?.close();
  await env?.close();
  await idp?.close();
  await attacker?.close();
});

const bearer = (token: string): RequestLike => ({
  headers: { authorization: `Bearer ${token}` },
  url: '/orders',
});

/** Only a 400/401-class PortcullisError is an acceptable rejection of junk. */
async function rejectsCleanly(
  authenticator: Authenticator,
  request: RequestLike,
): Promise<{ ok: boolean; what: string }> {
  try {
    await authenticator.authenticate(request);
    return { ok: false, what: 'allowed' };
  } catch (error) {
    if (!isPortcullisError(error)) return { ok: false, what: `crash: ${String(error)}` };
    return {
      ok: error.status === 400 || error.status === 401,
      what: `${error.status} ${error.code}`,
    };
  }
}

// ---------------------------------------------------------------- credential fuzzing

const b64url = (value: string): string => Buffer.from(value).toString('base64url');
const anyText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
);
const schemePrefixed = fc
  .tuple(
    fc.constantFrom(
      'Bearer ',
      'Basic ',
      'bearer ',
      'BASIC ',
      'Bearer  ',
      'Bearer\t',
      'Digest ',
      'Bearer',
      '',
    ),
    anyText,
  )
  .map(([scheme, rest]) => scheme + rest);
const basicJunk = fc
  .tuple(anyText, fc.constantFrom(':', '', '::'), anyText)
  .map(([id, sep, secret]) => `Basic ${Buffer.from(`${id}${sep}${secret}`).toString('base64')}`);
const jwtShaped = fc
  .tuple(
    fc.oneof(
      fc.record(
        {
          alg: fc.oneof(
            fc.constantFrom('RS256', 'none', 'HS256', 'ES256', 'PS256', ''),
            fc.jsonValue(),
          ),
          kid: fc.oneof(fc.string(), fc.jsonValue()),
          typ: fc.string(),
          crit: fc.array(fc.string()),
          jku: fc.webUrl(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    ),
    fc.jsonValue(),
    fc.string({ maxLength: 400 }),
  )
  .map(
    ([header, payload, signature]) =>
      `Bearer ${b64url(JSON.stringify(header) ?? 'null')}.${b64url(JSON.stringify(payload) ?? 'null')}.${b64url(signature)}`,
  );
const authorizationValue = fc.oneof(anyText, schemePrefixed, basicJunk, jwtShaped);

describe('fuzzing credentials (fast-check)', () => {
  const cases: { name: string; authenticator: () => Authenticator; runs: number }[] = [
    { name: 'oauth2 preset', authenticator: () => oauth, runs: 400 },
    { name: 'frontegg preset', authenticator: () => fe, runs: 150 },
  ];
  for (const { name, authenticator, runs } of cases) {
    it(`${name}: random Authorization / X-API-Key / duplicated headers only ever get a 400/401 PortcullisError`, async () => {
      const seen = new Map<string, number>();
      let failure: string | undefined;
      const headers = fc.oneof(
        authorizationValue.map((value) => ({ authorization: value })),
        anyText.map((value) => ({ 'x-api-key': value })),
        fc
          .tuple(authorizationValue, anyText)
          .map(([a, k]) => ({ authorization: a, 'x-api-key': k })),
        fc
          .array(authorizationValue, { minLength: 2, maxLength: 3 })
          .map((values) => ({ authorization: values })),
      );
      const details = await fc.check(
        fc.asyncProperty(
          headers,
          fc.constantFrom('/orders', '/orders?access_token=x', '/x?a=%zz'),
          async (h, url) => {
            const result = await rejectsCleanly(authenticator(), { headers: h, url });
            const code = result.what;
            seen.set(code, (seen.get(code) ?? 0) + 1);
            if (!result.ok) failure = `${JSON.stringify(h).slice(0, 200)} → ${result.what}`;
            return result.ok;
          },
        ),
        { numRuns: runs },
      );
      recorder.record({
        category: 'Fuzzing',
        name: `credentials, ${name}`,
        tried: `${runs} random Authorization / X-API-Key values (text, binary, scheme-prefixed, Basic junk, JWT-shaped junk, duplicated)`,
        expected: 'only 400/401 PortcullisErrors',
        observed:
          failure ?? `only 400/401 PortcullisErrors (${[...seen.keys()].sort().join(', ')})`,
        ok: failure === undefined && details?.failed === false,
      });
      expect(failure).toBeUndefined();
      expect(details?.failed).toBe(false);
    });
  }

  it('oversized credentials are refused before any parsing', async () => {
    const sizes = [8193, 20_000, 1_000_000];
    const results = [];
    for (const size of sizes) {
      results.push(await rejectsCleanly(oauth, bearer('a'.repeat(size))));
    }
    recorder.record({
      category: 'Fuzzing',
      name: 'oversized Bearer values',
      tried: `Bearer values of ${sizes.join(', ')} bytes`,
      expected: sizes.map(() => '400 ERR_CREDENTIAL_TOO_LARGE').join(', '),
      observed: results.map((r) => r.what).join(', '),
    });
    expect(results.map((r) => r.what)).toEqual(sizes.map(() => '400 ERR_CREDENTIAL_TOO_LARGE'));
  });
});

// ---------------------------------------------------------------- webhook fuzzing

const STANDARD_STATUSES = new Set([200, 202, 400, 401, 413, 503]);
const FRONTEGG_STATUSES = new Set([200, 202, 400, 401, 403, 413, 503]);
const headerValue = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: 'binary', maxLength: 120 }),
);
const bodyValue = fc.oneof(
  fc.string({ maxLength: 500 }),
  fc.jsonValue().map((value) => JSON.stringify(value) ?? ''),
  fc
    .record({
      type: fc.oneof(
        fc.constantFrom(
          'token.revoked',
          'roles.updated',
          'm2m.disabled',
          'm2m.enabled',
          'm2m.strategy.changed',
        ),
        fc.string(),
      ),
      timestamp: fc.oneof(fc.string(), fc.integer()),
      data: fc.oneof(
        fc.jsonValue(),
        fc.dictionary(
          fc.constantFrom(
            'tokenId',
            'clientId',
            'tenantId',
            'userId',
            'acceptedCredentials',
            'all',
          ),
          fc.jsonValue(),
        ),
      ),
    })
    .map((value) => JSON.stringify(value)),
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

async function handleSafely(
  receiver: WebhookReceiver,
  headers: Record<string, string | string[]>,
  body: string,
): Promise<{ status: number } | { crash: string }> {
  try {
    const answer = await receiver.handle({ headers, body });
    return { status: answer.status };
  } catch (error) {
    return { crash: String(error) };
  }
}

describe('fuzzing webhooks (fast-check)', () => {
  it('Standard Webhooks receiver: random headers and bodies, signed and unsigned', async () => {
    // A private authenticator: validly signed random events may disable M2M or revoke things.
    const target = createAuthenticator({
      provider: oauth2({
        issuer,
        audience: AUDIENCE,
        discovery: false,
        jwksUri: `${idp.url}/jwks`,
      }),
      policy: { enabled: true, acceptedCredentials: BOTH_KINDS },
      webhooks: { standardSecrets: [STANDARD_SECRET] },
    });
    const statuses = new Map<number, number>();
    let failure: string | undefined;
    let details: { readonly failed: boolean } | undefined;
    try {
      const receiver = target.webhooks['standard']!;
      details = await fc.check(
        fc.asyncProperty(
          fc.boolean(),
          fc.string({ minLength: 1, maxLength: 40 }),
          fc.oneof(fc.constant(0), fc.integer({ min: -100_000, max: 100_000 })),
          bodyValue,
          fc.dictionary(
            fc.constantFrom(
              'webhook-id',
              'webhook-timestamp',
              'webhook-signature',
              'content-type',
              'x-other',
            ),
            headerValue,
          ),
          async (sign, id, skewSec, body, extra) => {
            const timestamp = Math.floor(Date.now() / 1000) + skewSec;
            const headers: Record<string, string> = sign
              ? {
                  'webhook-id': id,
                  'webhook-timestamp': String(timestamp),
                  'webhook-signature': signStandardWebhook(STANDARD_SECRET, id, timestamp, body),
                }
              : extra;
            const result = await handleSafely(receiver, headers, body);
            if ('crash' in result) {
              failure = `crash: ${result.crash}`;
              return false;
            }
            statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
            if (!STANDARD_STATUSES.has(result.status)) failure = `status ${result.status}`;
            return STANDARD_STATUSES.has(result.status);
          },
        ),
        { numRuns: 300 },
      );
    } finally {
      await target.close();
    }
    recorder.record({
      category: 'Fuzzing',
      name: 'Standard Webhooks deliveries',
      tried:
        '300 random deliveries: random headers, or validly signed random bodies with skewed timestamps',
      expected: 'no crash; statuses within 200, 202, 400, 401, 413, 503',
      observed: failure ?? `no crash; statuses ${[...statuses.keys()].sort().join(', ')}`,
      ok: failure === undefined && details?.failed === false,
    });
    expect(failure).toBeUndefined();
    expect(details?.failed).toBe(false);
  });

  it('Frontegg receiver: random x-webhook-secret headers and bodies, with and without the right secret', async () => {
    const receiver = fe.webhooks['frontegg']!;
    const statuses = new Map<number, number>();
    let failure: string | undefined;
    const now = Math.floor(Date.now() / 1000);
    const goodHeader = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .sign(new TextEncoder().encode(FRONTEGG_HOOK_SECRET));
    const frontEggBody = fc
      .record({
        eventKey: fc.oneof(
          fc.constantFrom(
            'frontegg.user.deleted',
            'frontegg.user.updated',
            'frontegg.tenant.deleted',
            'frontegg.user.removedFromTenant',
            'frontegg.tenantApiToken.deleted',
            'frontegg.userApiToken.deleted',
            'token.revoked',
            'm2m.enabled',
          ),
          fc.string(),
        ),
        user: fc.oneof(fc.jsonValue(), fc.record({ id: fc.string(), isLocked: fc.jsonValue() })),
        eventContext: fc.oneof(
          fc.jsonValue(),
          fc.record({ tenantId: fc.string(), userId: fc.jsonValue() }),
        ),
      })
      .map((value) => JSON.stringify(value));
    const details = await fc.check(
      fc.asyncProperty(
        fc.oneof(fc.constant(goodHeader), headerValue, fc.constant(`${goodHeader}x`)),
        fc.oneof(bodyValue, frontEggBody),
        async (secretHeader, body) => {
          const result = await handleSafely(
            receiver,
            { 'x-webhook-secret': secretHeader, 'content-type': 'application/json' },
            body,
          );
          if ('crash' in result) {
            failure = `crash: ${result.crash}`;
            return false;
          }
          statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
          if (!FRONTEGG_STATUSES.has(result.status)) failure = `status ${result.status}`;
          return FRONTEGG_STATUSES.has(result.status);
        },
      ),
      { numRuns: 200 },
    );
    recorder.record({
      category: 'Fuzzing',
      name: 'Frontegg webhook deliveries',
      tried:
        '200 random deliveries: the right HS256 header, random headers or a tampered one; random and Frontegg-shaped bodies',
      expected: 'no crash; statuses within 200, 202, 400, 401, 403, 413, 503',
      observed: failure ?? `no crash; statuses ${[...statuses.keys()].sort().join(', ')}`,
      ok: failure === undefined && details?.failed === false,
    });
    expect(failure).toBeUndefined();
    expect(details?.failed).toBe(false);
  });
});

// ---------------------------------------------------------------- config fuzzing

describe('fuzzing sidecar configuration (fast-check)', () => {
  const names = ENV_VARIABLES.map((variable) => variable.name);
  const envValue = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.integer().map(String),
    fc.constantFrom(
      'true',
      'false',
      'frontegg',
      'oauth2',
      '0',
      '-1',
      '1e309',
      'http://127.0.0.1:1',
      '127.0.0.1:0',
      ':::',
      'a,b,,c',
      '',
    ),
    fc.webUrl(),
  );

  function classify(load: () => unknown): { ok: boolean; what: string } {
    try {
      load();
      return { ok: true, what: 'config' };
    } catch (error) {
      if (!isPortcullisError(error) || error.code !== 'ERR_INVALID_OPTION') {
        return { ok: false, what: `crash: ${String(error)}` };
      }
      const issues = (error.details?.['issues'] ?? []) as { field?: unknown; message?: unknown }[];
      const named =
        Array.isArray(issues) &&
        issues.length > 0 &&
        issues.every((issue) => typeof issue.field === 'string' && issue.field !== '');
      return {
        ok: named,
        what: named ? 'ConfigError naming fields' : 'ConfigError without field names',
      };
    }
  }

  it('random environments: a config, or ERR_INVALID_OPTION naming every bad field; secrets never echoed', async () => {
    const outcomes = new Map<string, number>();
    let failure: string | undefined;
    const details = await fc.check(
      fc.property(
        fc.dictionary(
          fc.oneof(
            fc.constantFrom(...names),
            fc.string().map((s) => `PORTCULLIS_${s}`),
          ),
          envValue,
          { maxKeys: 12 },
        ),
        fc.constantFrom('frontegg', 'oauth2', undefined),
        (randomEnv, provider) => {
          const secret = `s3cret-${randomBytes(6).toString('hex')}`;
          const environment: Record<string, string> = {
            ...(provider === undefined ? {} : { PORTCULLIS_PROVIDER: provider }),
            ...randomEnv,
            PORTCULLIS_ADMIN_TOKEN: secret,
          };
          let message = '';
          const result = classify(() => {
            try {
              return loadConfig(environment, [], { readFile: () => 'not: [valid' });
            } catch (error) {
              message =
                String((error as Error).message) +
                JSON.stringify((error as { details?: unknown }).details ?? {});
              throw error;
            }
          });
          outcomes.set(result.what, (outcomes.get(result.what) ?? 0) + 1);
          const leaked = message.includes(secret);
          if (!result.ok || leaked)
            failure = `${JSON.stringify(environment).replace(secret, '<admin token>').slice(0, 300)} → ${leaked ? 'secret echoed' : result.what}`;
          return result.ok && !leaked;
        },
      ),
      {
        numRuns: 400,
        // Found by this property before (see docs/reliability.md): always tried.
        examples: [[{ PORTCULLIS_UPSTREAM: '!' }, 'frontegg']],
      },
    );
    recorder.record({
      category: 'Fuzzing',
      name: 'sidecar environment',
      tried:
        '400 random env maps (known and unknown PORTCULLIS_* names, junk values) through loadConfig',
      expected: 'a config or ERR_INVALID_OPTION naming fields; the admin token never echoed',
      observed:
        failure ??
        `${[...outcomes.entries()].map(([k, n]) => `${k} ×${n}`).join(', ')}; the admin token never echoed`,
      ok: failure === undefined && details?.failed === false,
    });
    expect(failure).toBeUndefined();
    expect(details?.failed).toBe(false);
  });

  it('random YAML config files: a config, or ERR_INVALID_OPTION naming fields', async () => {
    const outcomes = new Map<string, number>();
    let failure: string | undefined;
    const yamlText = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.jsonValue().map((value) => toYaml(value)),
      fc
        .record(
          {
            provider: fc.oneof(fc.constantFrom('frontegg', 'oauth2'), fc.jsonValue()),
            routes: fc.oneof(
              fc.jsonValue(),
              fc.record({
                default: fc.oneof(
                  fc.constantFrom('authenticated', 'deny', 'public'),
                  fc.jsonValue(),
                ),
                rules: fc.array(
                  fc.record(
                    {
                      path: fc.oneof(
                        fc.constantFrom('/a/**', '/**', '/x/{id}/*', '**', '/a/**/b'),
                        fc.string(),
                      ),
                      methods: fc.jsonValue(),
                      permissions: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
                      public: fc.jsonValue(),
                      deny: fc.boolean(),
                      tenant: fc.jsonValue(),
                    },
                    { requiredKeys: [] },
                  ),
                  { maxLength: 4 },
                ),
              }),
            ),
            cache: fc.jsonValue(),
          },
          { requiredKeys: [] },
        )
        .map((value) => toYaml(value)),
    );
    const details = await fc.check(
      fc.property(yamlText, (text) => {
        const result = classify(() =>
          loadConfig(
            {
              PORTCULLIS_CONFIG: '/virtual/portcullis.yaml',
              PORTCULLIS_PROVIDER: 'oauth2',
              PORTCULLIS_ISSUER: 'http://127.0.0.1:1/',
              PORTCULLIS_AUDIENCE: 'api',
            },
            [],
            { readFile: () => text },
          ),
        );
        outcomes.set(result.what, (outcomes.get(result.what) ?? 0) + 1);
        if (!result.ok) failure = `${JSON.stringify(text).slice(0, 300)} → ${result.what}`;
        return result.ok;
      }),
      {
        numRuns: 400,
        // Found by this property before (see docs/reliability.md): always tried.
        examples: [['"": 1'], ['[not, a, mapping]'], ['{unclosed']],
      },
    );
    recorder.record({
      category: 'Fuzzing',
      name: 'sidecar YAML config file',
      tried: '400 random files: text, YAML of random values, YAML shaped like route rules',
      expected: 'a config or ERR_INVALID_OPTION naming fields',
      observed: failure ?? [...outcomes.entries()].map(([k, n]) => `${k} ×${n}`).join(', '),
      ok: failure === undefined && details?.failed === false,
    });
    expect(failure).toBeUndefined();
    expect(details?.failed).toBe(false);
  });
});

// ---------------------------------------------------------------- JWT attack corpus

interface Attack {
  readonly name: string;
  readonly token: () => Promise<string> | string;
  /** `allowed` or `STATUS CODE`. */
  readonly expected: string;
  /** The attacker's key server must see no request. */
  readonly watchAttacker?: boolean;
}

function commonAttacks(
  claims: () => Record<string, unknown>,
  publicKeyPem: () => string,
  realKid: () => string,
  realJwk: () => Record<string, unknown>,
): Attack[] {
  const forged = (header: Record<string, unknown>, payload: Record<string, unknown> = claims()) =>
    signJwt(attackerKey, payload, header);
  const attackerJwks = () => `${attacker.url}/jwks.json`;
  return [
    {
      name: 'alg none',
      token: () => rawJwt({ alg: 'none', typ: 'JWT' }, claims()),
      expected: '401 ERR_TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'alg "None"',
      token: () => rawJwt({ alg: 'None', typ: 'JWT' }, claims()),
      expected: '401 ERR_TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'alg "NONE" with a signature',
      token: () => rawJwt({ alg: 'NONE' }, claims(), 'x'),
      expected: '401 ERR_TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'algorithm confusion: HS256 keyed with the RSA public key (PEM)',
      token: () => rawJwt({ alg: 'HS256', typ: 'JWT', kid: realKid() }, claims(), publicKeyPem()),
      expected: '401 ERR_TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'algorithm confusion: HS256 keyed with the JWK modulus',
      token: () =>
        rawJwt(
          { alg: 'HS256', kid: realKid() },
          claims(),
          Buffer.from(String(realJwk()['n']), 'base64url'),
        ),
      expected: '401 ERR_TOKEN_ALG_NOT_ALLOWED',
    },
    {
      name: 'kid path traversal',
      token: () => forged({ kid: '../../../../../../dev/null' }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'kid SQL-ish',
      token: () => forged({ kid: "' OR '1'='1' -- " }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'kid with CR/LF and NUL',
      token: () => forged({ kid: 'a\r\nb\u0000c' }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'kid of 3000 characters',
      token: () => forged({ kid: 'k'.repeat(3000) }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'kid is a number',
      token: () => forged({ kid: 12345 }),
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'kid is an object',
      token: () => forged({ kid: { $ne: null } }),
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'jku to the attacker JWKS (attacker key)',
      token: () => forged({ jku: attackerJwks() }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      watchAttacker: true,
    },
    {
      name: 'jku to the attacker JWKS with the real kid',
      token: () => forged({ jku: attackerJwks(), kid: realKid() }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      watchAttacker: true,
    },
    {
      name: 'x5u to the attacker',
      token: () => forged({ x5u: `${attacker.url}/cert.pem` }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      watchAttacker: true,
    },
    {
      name: 'embedded jwk (attacker public key)',
      token: () => forged({ jwk: attackerKey.publicJwk }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'embedded x5c',
      token: () => forged({ x5c: [randomBytes(300).toString('base64')] }),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'crit ["exp"]',
      token: () => signRaw(attackerKey, { crit: ['exp'], exp: 1 }, claims()),
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'crit [] (empty)',
      token: () => signRaw(attackerKey, { crit: [] }, claims()),
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'nested JWT (cty: JWT, payload is a JWT), attacker-signed',
      token: async () => signRaw(attackerKey, { cty: 'JWT' }, await forged({})),
      expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
    },
    {
      name: 'huge token (20 kB)',
      token: () => forged({}, { ...claims(), pad: 'x'.repeat(20_000) }),
      expected: '400 ERR_CREDENTIAL_TOO_LARGE',
    },
    {
      name: 'JWE-shaped (5 segments)',
      token: () => 'eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d',
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'two segments',
      token: () => 'eyJhbGciOiJSUzI1NiJ9.e30',
      expected: '401 ERR_TOKEN_MALFORMED',
    },
    {
      name: 'header not JSON',
      token: () => `${b64url('{alg')}.${b64url('{}')}.${b64url('sig')}`,
      expected: '401 ERR_TOKEN_MALFORMED',
    },
  ];
}

async function runAttacks(
  preset: string,
  authenticator: Authenticator,
  attacks: Attack[],
  header: 'authorization' | 'x-api-key' = 'authorization',
): Promise<string[]> {
  const failures: string[] = [];
  for (const attack of attacks) {
    const before = attacker.seen.length;
    const token = await attack.token();
    const request: RequestLike =
      header === 'authorization'
        ? bearer(token)
        : { headers: { 'x-api-key': token }, url: '/orders' };
    const outcome = await outcomeOf(authenticator.authenticate(request));
    const attackerCalls = attacker.seen.length - before;
    const observed = `${describeOutcome(outcome)}${attack.watchAttacker === true ? `; attacker server saw ${attackerCalls} requests` : ''}`;
    const expected = `${attack.expected}${attack.watchAttacker === true ? '; attacker server saw 0 requests' : ''}`;
    const ok = recorder.record({
      category: `JWT attacks (${preset} preset${header === 'x-api-key' ? ', X-API-Key' : ''})`,
      name: attack.name,
      tried: `${header === 'x-api-key' ? 'X-API-Key' : 'Bearer'} token: ${attack.name}`,
      expected,
      observed,
    });
    if (!ok) failures.push(`${attack.name}: expected ${expected}, saw ${observed}`);
  }
  return failures;
}

describe('JWT attack corpus', () => {
  it('frontegg preset: every attack rejected with the right code, no key fetched from the token', async () => {
    const jwks = (await (await fetch(`${env.emulator.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const realJwk = jwks.keys[0]!;
    const pem = createPublicKey({ key: realJwk as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const claims = () => payloadOf(env.apiTokenJwt);
    const attacks: Attack[] = [
      ...commonAttacks(
        claims,
        () => pem,
        () => String(realJwk['kid']),
        () => realJwk,
      ),
      {
        name: 'payload tampered (tenantId changed), signature kept',
        token: () => withPayload(env.apiTokenJwt, { ...claims(), tenantId: 'other-tenant' }),
        expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      },
      {
        name: 'exp as a string, signature kept',
        token: () => withPayload(env.apiTokenJwt, { ...claims(), exp: '9999999999' }),
        expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      },
      {
        name: 'signature stripped',
        token: () => `${env.apiTokenJwt.split('.').slice(0, 2).join('.')}.`,
        expected: '401 ERR_TOKEN_SIGNATURE_INVALID',
      },
      { name: 'the genuine token (control)', token: () => env.apiTokenJwt, expected: 'allowed' },
    ];
    const failures = await runAttacks('frontegg', fe, attacks);
    // Frontegg's X-API-Key header carries access tokens: the same verifier, the same verdicts
    // (the genuine API-token JWT is refused there: that header is for access tokens only).
    const viaApiKey = attacks
      .filter((attack) => !attack.name.includes('control'))
      .concat({
        name: 'an API-token JWT in X-API-Key (access tokens only)',
        token: () => env.apiTokenJwt,
        expected: '401 ERR_TOKEN_TYPE_NOT_ALLOWED',
      });
    failures.push(...(await runAttacks('frontegg', fe, viaApiKey, 'x-api-key')));
    expect(failures).toEqual([]);
  });

  it('oauth2 preset: every attack rejected with the right code, claim edge cases included', async () => {
    const nowSec = Math.floor(Date.now() / 1000);
    const claims = () => ({
      iss: issuer,
      aud: AUDIENCE,
      sub: 'svc-attack',
      client_id: 'svc-attack',
      iat: nowSec,
      exp: nowSec + 600,
    });
    const signed = (payload: Record<string, unknown>, header: Record<string, unknown> = {}) =>
      signJwt(key, payload, header);
    const attacks: Attack[] = [
      ...commonAttacks(
        claims,
        () => key.publicKeyPem,
        () => key.kid,
        () => key.publicJwk as Record<string, unknown>,
      ),
      {
        name: 'exp as a string (validly signed)',
        token: () => signed({ ...claims(), exp: String(nowSec + 600) }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'exp missing',
        token: () => signed({ ...claims(), exp: undefined }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'exp in the past',
        token: () => signed({ ...claims(), exp: nowSec - 60 }),
        expected: '401 ERR_TOKEN_EXPIRED',
      },
      {
        name: 'nbf in the future',
        token: () => signed({ ...claims(), nbf: nowSec + 600 }),
        expected: '401 ERR_TOKEN_NOT_YET_VALID',
      },
      {
        name: 'aud: [] (empty array)',
        token: () => signed({ ...claims(), aud: [] }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'aud: [ours, other] (RFC 7519: accepted)',
        token: () => signed({ ...claims(), aud: ['urn:other', AUDIENCE] }),
        expected: 'allowed',
      },
      {
        name: 'aud: [[ours]] (nested array)',
        token: () => signed({ ...claims(), aud: [[AUDIENCE]] }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'aud: different case',
        token: () => signed({ ...claims(), aud: AUDIENCE.toUpperCase() }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'aud missing',
        token: () => signed({ ...claims(), aud: undefined }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'aud: {ours: true} (object)',
        token: () => signed({ ...claims(), aud: { [AUDIENCE]: true } }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'iss with a trailing slash',
        token: () => signed({ ...claims(), iss: `${issuer}/` }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'iss as an array',
        token: () => signed({ ...claims(), iss: [issuer] }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'iss missing',
        token: () => signed({ ...claims(), iss: undefined }),
        expected: '401 ERR_TOKEN_CLAIM_INVALID',
      },
      {
        name: 'crit ["b64"] (validly signed)',
        token: () => signRaw(key, { crit: ['b64'], b64: true }, claims()),
        expected: '401 ERR_TOKEN_MALFORMED',
      },
      {
        name: 'nested JWT (cty: JWT), validly signed',
        token: async () => signRaw(key, { cty: 'JWT' }, await signed(claims())),
        expected: '401 ERR_TOKEN_MALFORMED',
      },
      {
        name: 'jku to the attacker, validly signed (header ignored)',
        token: () => signed(claims(), { jku: `${attacker.url}/jwks.json` }),
        expected: 'allowed',
        watchAttacker: true,
      },
      { name: 'the genuine token (control)', token: () => signed(claims()), expected: 'allowed' },
    ];
    const failures = await runAttacks('oauth2', oauth, attacks);
    expect(attacker.seen).toEqual([]);
    expect(failures).toEqual([]);
  });
});
