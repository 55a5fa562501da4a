/**
 * Frontegg webhook body → what to do (docs/design.md §5 "Event → action"). Pure: no I/O here.
 * Payload: `{ user|tenant|…, eventContext: { tenantId, userId? }, eventKey }` (docs.frontegg.com/
 * docs/webhooks). The `*ApiToken.deleted` payloads are undocumented, so the client id is looked for
 * in several places and its absence is a case of its own.
 */
import { PortcullisError } from '../../errors.js';
import type { SelectorFields } from '../../types.js';

/** What one delivery asks for. */
export type FronteggEventPlan =
  | { readonly kind: 'revoke'; readonly selector: SelectorFields }
  | { readonly kind: 'invalidate'; readonly selector: SelectorFields }
  | { readonly kind: 'lock'; readonly userId: string }
  | { readonly kind: 'unlock'; readonly userId: string }
  /** An API token was deleted but the payload names no client id: reconcile with the IdP's list. */
  | {
      readonly kind: 'api-token-deleted-unnamed';
      readonly tenantId: string;
      readonly userId?: string;
    }
  | { readonly kind: 'ignored'; readonly reason: string };

/** Portcullis's own keys can widen access, so only the signed Standard Webhooks receiver takes them. */
const PORTCULLIS_KEYS = new Set([
  'm2m.disabled',
  'm2m.enabled',
  'm2m.strategy.changed',
  'token.revoked',
  'roles.updated',
]);

const MAX_ID_CHARS = 256;

/** Plans the action for a parsed body; throws ERR_WEBHOOK_BODY_INVALID for a wrong shape. */
export function planFronteggEvent(body: unknown): { eventKey: string; plan: FronteggEventPlan } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw bodyInvalid('the webhook body must be a JSON object');
  }
  const record = body as Record<string, unknown>;
  const eventKey = record['eventKey'] ?? record['type'];
  if (typeof eventKey !== 'string' || eventKey === '' || eventKey.length > 200) {
    throw bodyInvalid('the webhook body has no eventKey');
  }
  if (PORTCULLIS_KEYS.has(eventKey)) {
    throw bodyInvalid(
      `event "${eventKey}" is accepted only by the Standard Webhooks receiver (it can widen access)`,
    );
  }
  return { eventKey, plan: planFor(eventKey, record) };
}

function planFor(eventKey: string, body: Record<string, unknown>): FronteggEventPlan {
  switch (eventKey) {
    case 'frontegg.tenantApiToken.deleted':
    case 'frontegg.userApiToken.deleted':
      return apiTokenDeleted(eventKey, body);
    case 'frontegg.user.deleted':
      return { kind: 'revoke', selector: { userId: userIdOf(body) } };
    case 'frontegg.user.removedFromTenant': {
      const userId = userIdOf(body);
      const tenantId = contextTenantId(body);
      // Without the tenant the removal cannot be scoped; revoking the user everywhere fails closed.
      return {
        kind: 'revoke',
        selector: tenantId === undefined ? { userId } : { userId, tenantId },
      };
    }
    case 'frontegg.user.updated': {
      const userId = userIdOf(body);
      const isLocked = objectAt(body, 'user')?.['isLocked'];
      if (isLocked === true) return { kind: 'lock', userId };
      if (isLocked === false) return { kind: 'unlock', userId };
      return { kind: 'invalidate', selector: { userId } };
    }
    case 'frontegg.tenant.deleted': {
      const tenant = objectAt(body, 'tenant');
      const tenantId = firstId(
        tenant?.['tenantId'],
        tenant?.['id'],
        objectAt(body, 'eventContext')?.['tenantId'],
        body['tenantId'],
        objectAt(body, 'data')?.['tenantId'],
      );
      if (tenantId === undefined) throw bodyInvalid(`${eventKey} names no tenant`);
      return { kind: 'revoke', selector: { tenantId } };
    }
    default:
      return {
        kind: 'ignored',
        reason: eventKey.startsWith('frontegg.')
          ? 'event does not affect M2M credentials'
          : 'unknown event key',
      };
  }
}

function apiTokenDeleted(eventKey: string, body: Record<string, unknown>): FronteggEventPlan {
  const data = objectAt(body, 'data');
  const context = objectAt(body, 'eventContext');
  const clientId = firstId(
    objectAt(body, 'apiToken')?.['clientId'],
    objectAt(body, 'tenantApiToken')?.['clientId'],
    objectAt(body, 'userApiToken')?.['clientId'],
    objectAt(body, 'token')?.['clientId'],
    body['clientId'],
    data?.['clientId'],
    objectAt(data, 'apiToken')?.['clientId'],
    context?.['clientId'],
  );
  if (clientId !== undefined) return { kind: 'revoke', selector: { clientId } };
  const tenantId = firstId(
    context?.['tenantId'],
    objectAt(body, 'apiToken')?.['tenantId'],
    body['tenantId'],
    data?.['tenantId'],
  );
  if (tenantId === undefined)
    throw bodyInvalid(`${eventKey} names neither a client id nor a tenant`);
  const userId =
    eventKey === 'frontegg.userApiToken.deleted'
      ? firstId(context?.['userId'], body['userId'], data?.['userId'])
      : undefined;
  return {
    kind: 'api-token-deleted-unnamed',
    tenantId,
    ...(userId === undefined ? {} : { userId }),
  };
}

function userIdOf(body: Record<string, unknown>): string {
  const user = objectAt(body, 'user');
  const userId = firstId(
    user?.['id'],
    user?.['sub'],
    objectAt(body, 'eventContext')?.['userId'],
    body['userId'],
    objectAt(body, 'data')?.['userId'],
  );
  if (userId === undefined) throw bodyInvalid(`${String(body['eventKey'])} names no user`);
  return userId;
}

/** The tenant the event happened in; `user.tenantId` is the user's active tenant, so it comes last. */
function contextTenantId(body: Record<string, unknown>): string | undefined {
  return firstId(
    objectAt(body, 'eventContext')?.['tenantId'],
    body['tenantId'],
    objectAt(body, 'data')?.['tenantId'],
  );
}

function objectAt(
  value: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  const inner = value?.[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : undefined;
}

function firstId(...candidates: unknown[]): string | undefined {
  for (const candidate of candidates) {
    if (typeof candidate === 'string' && candidate !== '' && candidate.length <= MAX_ID_CHARS) {
      return candidate;
    }
  }
  return undefined;
}

function bodyInvalid(message: string): PortcullisError {
  return new PortcullisError('ERR_WEBHOOK_BODY_INVALID', message);
}
