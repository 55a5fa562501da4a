/** The one comparison every surface's runner uses, so "the same answer everywhere" means one thing. */
import { expect } from 'vitest';
import type { ConformanceExpectation, ExpectedIdentity } from './cases.js';

/** What a surface answered, normalised: header names lower-case. */
export interface SurfaceAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The `code` from the JSON error body (absent on success). */
  readonly code?: string;
  /** The identity the surface established (principal fields), on success. */
  readonly identity?: Readonly<Record<string, unknown>>;
}

/** The RFC 6750 `error` attribute of the Bearer challenge, `null` when the challenge has none. */
export function bearerChallengeError(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  const bearer = /(?:^|,\s*)Bearer\b([^]*?)(?=,\s*Basic\b|$)/i.exec(header);
  if (!bearer) return undefined;
  const error = /\berror="([^"]*)"/.exec(bearer[1] ?? '');
  return error ? error[1]! : null;
}

export function assertAnswer(
  answer: SurfaceAnswer,
  expected: ConformanceExpectation,
  label: string,
): void {
  expect(answer.status, `${label}: status`).toBe(expected.status);
  if (expected.challengeError !== undefined) {
    const header = answer.headers['www-authenticate'];
    expect(header, `${label}: WWW-Authenticate present`).toBeTypeOf('string');
    expect(bearerChallengeError(header), `${label}: challenge error`).toBe(expected.challengeError);
    expect(header, `${label}: realm`).toMatch(/Bearer realm="[^"]+"/);
  }
  if (expected.code !== undefined) expect(answer.code, `${label}: error code`).toBe(expected.code);
  if (expected.status === 503) {
    expect(answer.headers['retry-after'], `${label}: Retry-After`).toMatch(/^\d+$/);
  }
  if (expected.identity) assertIdentity(answer.identity, expected.identity, label);
}

function assertIdentity(
  actual: Readonly<Record<string, unknown>> | undefined,
  expected: ExpectedIdentity,
  label: string,
): void {
  expect(actual, `${label}: identity present`).toBeDefined();
  for (const [field, value] of Object.entries(expected)) {
    const got = actual?.[field];
    if (value === null) expect(got ?? null, `${label}: identity.${field} absent`).toBeNull();
    else expect(got, `${label}: identity.${field}`).toBe(value);
  }
}
