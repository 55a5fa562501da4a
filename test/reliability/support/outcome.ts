/** Turns an authentication attempt into a short, comparable outcome string for the report. */
import { isPortcullisError } from '@portcullis/core';
import type { PortcullisError } from '@portcullis/core';

export type Outcome =
  | { readonly ok: true; readonly subject: string }
  | {
      readonly ok: false;
      readonly status: number;
      readonly code: string;
      readonly retryAfterSec: number | undefined;
      readonly error: PortcullisError;
    };

/** Runs `attempt`; a non-Portcullis error is rethrown (that is a crash, not an answer). */
export async function outcomeOf(attempt: Promise<{ subject: string }>): Promise<Outcome> {
  try {
    const principal = await attempt;
    return { ok: true, subject: principal.subject };
  } catch (error) {
    if (!isPortcullisError(error)) throw error;
    return {
      ok: false,
      status: error.status,
      code: error.code,
      retryAfterSec: error.retryAfterSec,
      error,
    };
  }
}

/** `allowed` or `503 ERR_IDP_UNAVAILABLE`. */
export function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? 'allowed' : `${outcome.status} ${outcome.code}`;
}
