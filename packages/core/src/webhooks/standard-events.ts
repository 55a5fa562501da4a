/**
 * Portcullis's own event keys, accepted only through the Standard Webhooks receiver because they
 * can widen access (docs/design.md §5). Body: `{ "type": "<key>", "timestamp"?: "<ISO 8601>", "data": {...} }`.
 *
 * | `type`                  | `data` (extra fields are ignored)                                        | Action                                            |
 * | ----------------------- | ------------------------------------------------------------------------ | ------------------------------------------------- |
 * | `m2m.disabled`          | `{}`                                                                     | `applyPolicyEvent({ enabled: false })`            |
 * | `m2m.enabled`           | `{}`                                                                     | `applyPolicyEvent({ enabled: true })`             |
 * | `m2m.strategy.changed`  | `{ acceptedCredentials: ('client_credentials' \| 'access_token')[] }` (≥ 1) | `applyPolicyEvent({ acceptedCredentials })`       |
 * | `token.revoked`         | `{ tokenId?, clientId?, userId?, tenantId? }` strings, at least one      | `revoke({ ...those fields })` (they combine)      |
 * | `roles.updated`         | `{ tenantId? }`                                                          | `invalidate({ tenantId })`, else `invalidate({ all: true })` |
 *
 * Any other `type` is answered 202 and ignored. String fields are 1–512 characters.
 */
import { PortcullisError } from '../errors.js';
import { CREDENTIAL_KINDS } from '../types.js';
import type { CredentialKind, SelectorFields } from '../types.js';
import type { WebhookAction, WebhookPlan } from './pipeline.js';

/** The event keys of the Standard Webhooks receiver. */
export const STANDARD_EVENT_KEYS = Object.freeze({
  m2mDisabled: 'm2m.disabled',
  m2mEnabled: 'm2m.enabled',
  m2mStrategyChanged: 'm2m.strategy.changed',
  tokenRevoked: 'token.revoked',
  rolesUpdated: 'roles.updated',
} as const);

export type StandardEventKey = (typeof STANDARD_EVENT_KEYS)[keyof typeof STANDARD_EVENT_KEYS];

/** The `data` of each Standard event key. */
export interface StandardEventData {
  'm2m.disabled': Record<string, never>;
  'm2m.enabled': Record<string, never>;
  'm2m.strategy.changed': { readonly acceptedCredentials: readonly CredentialKind[] };
  'token.revoked': {
    readonly tokenId?: string;
    readonly clientId?: string;
    readonly userId?: string;
    readonly tenantId?: string;
  };
  'roles.updated': { readonly tenantId?: string };
}

const MAX_FIELD_CHARS = 512;
const SELECTOR_FIELDS = ['tokenId', 'clientId', 'userId', 'tenantId'] as const;
const KEYS: readonly string[] = Object.values(STANDARD_EVENT_KEYS);

/** The `plan` of the Standard receiver: envelope and per-key `data` checks, then the actions. */
export function planStandardEvent(payload: unknown): WebhookPlan {
  const envelope = object(payload, 'the body');
  const type = envelope['type'];
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_FIELD_CHARS) {
    throw invalid('type must be a non-empty string');
  }
  if (envelope['timestamp'] !== undefined && typeof envelope['timestamp'] !== 'string') {
    throw invalid('timestamp must be a string');
  }
  if (!KEYS.includes(type)) return { eventKey: type, actions: undefined };
  const data = object(envelope['data'], 'data');
  return { eventKey: type, actions: actionsFor(type as StandardEventKey, data) };
}

function actionsFor(
  type: StandardEventKey,
  data: Readonly<Record<string, unknown>>,
): WebhookAction[] {
  switch (type) {
    case 'm2m.disabled':
      return [{ kind: 'policy', observation: { enabled: false } }];
    case 'm2m.enabled':
      return [{ kind: 'policy', observation: { enabled: true } }];
    case 'm2m.strategy.changed':
      return [
        {
          kind: 'policy',
          observation: { acceptedCredentials: credentialKinds(data['acceptedCredentials']) },
        },
      ];
    case 'token.revoked':
      return [{ kind: 'revoke', selector: revokeSelector(data) }];
    case 'roles.updated': {
      const tenantId = optionalString(data, 'tenantId');
      return [
        { kind: 'invalidate', selector: tenantId === undefined ? { all: true } : { tenantId } },
      ];
    }
  }
}

function credentialKinds(value: unknown): CredentialKind[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalid('data.acceptedCredentials must be a non-empty array');
  }
  const kinds = new Set<CredentialKind>();
  for (const kind of value as unknown[]) {
    if (!CREDENTIAL_KINDS.includes(kind as CredentialKind)) {
      throw invalid(`data.acceptedCredentials items must be ${CREDENTIAL_KINDS.join(' or ')}`);
    }
    kinds.add(kind as CredentialKind);
  }
  return [...kinds];
}

function revokeSelector(data: Readonly<Record<string, unknown>>): SelectorFields {
  const selector: { -readonly [K in (typeof SELECTOR_FIELDS)[number]]?: string } = {};
  for (const field of SELECTOR_FIELDS) {
    const value = optionalString(data, field);
    if (value !== undefined) selector[field] = value;
  }
  if (Object.keys(selector).length === 0) {
    throw invalid(`data must name at least one of ${SELECTOR_FIELDS.join(', ')}`);
  }
  return selector;
}

function optionalString(
  data: Readonly<Record<string, unknown>>,
  field: string,
): string | undefined {
  const value = data[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FIELD_CHARS) {
    throw invalid(`data.${field} must be a string of 1 to ${MAX_FIELD_CHARS} characters`);
  }
  return value;
}

function object(value: unknown, what: string): Readonly<Record<string, unknown>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(`${what} must be a JSON object`);
  }
  return value as Readonly<Record<string, unknown>>;
}

function invalid(message: string): PortcullisError {
  return new PortcullisError('ERR_WEBHOOK_BODY_INVALID', message);
}
