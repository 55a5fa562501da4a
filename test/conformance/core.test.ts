/** Conformance runner #1: the framework-free core (authenticate + authorize + errorResponse). */
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createAuthenticator, errorResponse, frontegg, isPortcullisError } from '@portcullis/core';
import type { Authenticator } from '@portcullis/core';
import { assertAnswer } from './assert.js';
import type { SurfaceAnswer } from './assert.js';
import { CONFORMANCE_CASES, requirementsFor } from './cases.js';
import type { ConformanceRequest } from './cases.js';
import { startConformanceEnv } from './env.js';
import type { ConformanceEnv } from './env.js';

let env: ConformanceEnv;
let authenticator: Authenticator;

beforeAll(async () => {
  env = await startConformanceEnv();
  authenticator = createAuthenticator({
    provider: frontegg(env.provider),
    // Both kinds at once, whatever the vendor's strategy says (a documented pin).
    policy: { acceptedCredentials: ['client_credentials', 'access_token'] },
  });
  await authenticator.ready();
});

afterAll(async () => {
  await authenticator?.close();
  await env?.close();
});

async function callCore(request: ConformanceRequest): Promise<SurfaceAnswer> {
  try {
    const principal = await authenticator.authenticate({
      headers: request.headers,
      url: request.path,
    });
    const requirements = requirementsFor(request.path.split('?')[0]!);
    if (requirements) authenticator.authorize(principal, requirements);
    return { status: 200, headers: {}, identity: { ...principal } };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    const answer = errorResponse(error, { realm: 'api', basic: authenticator.acceptsBasic() });
    const headers = Object.fromEntries(
      Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
    return { status: answer.status, headers, code: answer.body.code };
  }
}

describe('conformance: core', () => {
  for (const testCase of CONFORMANCE_CASES) {
    it(testCase.name, async () => {
      const answer = await callCore(testCase.request(env.credentials));
      assertAnswer(answer, testCase.expect(env.credentials), testCase.name);
    });
  }
});
