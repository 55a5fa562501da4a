/**
 * The policy gate of docs/design.md §1/§2, applied twice per request: on the credential's form before any
 * verification, and on the verified principal's `credential` after it (cache hits included).
 */
import { PortcullisError } from '../errors.js';
import type { CredentialForm, CredentialKind, PolicyState } from '../types.js';

const KIND_LABEL: Readonly<Record<CredentialKind, string>> = {
  client_credentials: 'Client credentials',
  access_token: 'Access tokens',
};

/** Throws unless the state is known and M2M is enabled. */
export function assertEnabled(state: PolicyState): void {
  if (state.enabled === true) return;
  if (state.enabled === undefined) {
    throw new PortcullisError(
      'ERR_POLICY_UNKNOWN',
      'The M2M policy is not known yet; retry shortly',
    );
  }
  throw new PortcullisError('ERR_M2M_DISABLED', 'M2M tokens are disabled by the vendor');
}

/**
 * Before verification: Basic is a client credential, X-API-Key an access token; a Bearer token may
 * be either (its kind is known only after verification).
 */
export function gateForm(state: PolicyState, form: CredentialForm): void {
  assertEnabled(state);
  const accepted = state.acceptedCredentials;
  if (form === 'basic') {
    if (!accepted.includes('client_credentials')) throw notAccepted('client_credentials', accepted);
  } else if (form === 'api-key') {
    if (!accepted.includes('access_token')) throw notAccepted('access_token', accepted);
  } else if (accepted.length === 0) {
    throw notAccepted('access_token', accepted);
  }
}

/** After verification (and on every cache hit): the principal's own kind must be accepted. */
export function gateKind(state: PolicyState, kind: CredentialKind): void {
  assertEnabled(state);
  if (!state.acceptedCredentials.includes(kind)) throw notAccepted(kind, state.acceptedCredentials);
}

/** True when Basic (client credentials) would pass the form gate now. */
export function acceptsBasic(state: PolicyState): boolean {
  return state.enabled === true && state.acceptedCredentials.includes('client_credentials');
}

function notAccepted(kind: CredentialKind, accepted: readonly CredentialKind[]): PortcullisError {
  const allowed =
    accepted.length === 0
      ? 'no M2M credential kind'
      : `${accepted.map((k) => KIND_LABEL[k].toLowerCase()).join(' and ')} only`;
  return new PortcullisError(
    'ERR_CREDENTIAL_KIND_NOT_ACCEPTED',
    `${KIND_LABEL[kind]} are not accepted: the vendor accepts ${allowed}`,
    { details: { credential: kind, accepted: [...accepted] } },
  );
}
