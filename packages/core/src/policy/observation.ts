/**
 * Validation of policy observations from outside (an API call, a webhook, the provider's settings
 * read): a malformed one must not widen or narrow what is accepted by accident.
 */
import { PortcullisError } from '../errors.js';
import { CREDENTIAL_KINDS } from '../types.js';
import type { CredentialKind, PolicyObservation } from '../types.js';

/** Returns a clean copy with only the known fields, or throws `ERR_INVALID_OPTION`. */
export function normalizeObservation(value: unknown): PolicyObservation {
  if (value === null || typeof value !== 'object') throw bad('must be an object');
  const raw = value as Record<string, unknown>;
  const out: { -readonly [K in keyof PolicyObservation]: PolicyObservation[K] } = {};
  if (raw.enabled !== undefined) {
    if (typeof raw.enabled !== 'boolean') throw bad('field enabled must be a boolean');
    out.enabled = raw.enabled;
  }
  if (raw.acceptedCredentials !== undefined) {
    const kinds = raw.acceptedCredentials;
    if (
      !Array.isArray(kinds) ||
      !kinds.every((k) => CREDENTIAL_KINDS.includes(k as CredentialKind))
    ) {
      throw bad(`field acceptedCredentials must list only ${CREDENTIAL_KINDS.join(', ')}`);
    }
    out.acceptedCredentials = Object.freeze(CREDENTIAL_KINDS.filter((k) => kinds.includes(k)));
  }
  if (raw.maxTokenLifetimeSec !== undefined) {
    const seconds = raw.maxTokenLifetimeSec;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds <= 0) {
      throw bad('field maxTokenLifetimeSec must be a positive number of seconds');
    }
    out.maxTokenLifetimeSec = seconds;
  }
  return Object.freeze(out);
}

function bad(problem: string): PortcullisError {
  return new PortcullisError('ERR_INVALID_OPTION', `policy observation ${problem}`, {
    details: { option: 'observation' },
  });
}
