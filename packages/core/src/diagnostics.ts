/**
 * `node:diagnostics_channel` events, so metrics and tracing can observe Portcullis without
 * wrapping it. Publishing costs nothing when nobody subscribes (`hasSubscribers` is checked first).
 * Payloads never contain a credential, a secret or a cache key.
 */
import diagnostics from 'node:diagnostics_channel';
import type { CredentialForm, CredentialKind, Selector } from './types.js';

export const CHANNELS = Object.freeze({
  decision: 'portcullis:decision',
  cache: 'portcullis:cache',
  revocation: 'portcullis:revocation',
  idp: 'portcullis:idp',
  policy: 'portcullis:policy',
  webhook: 'portcullis:webhook',
  tombstoneEviction: 'portcullis:tombstone-eviction',
});

/** One authentication outcome. */
export interface DecisionEvent {
  readonly outcome: 'allow' | 'deny' | 'error';
  readonly code?: string;
  readonly form?: CredentialForm;
  readonly credential?: CredentialKind;
  /** Where the principal's roles and permissions came from (`Principal.grantsSource`). */
  readonly grantsSource?: 'token' | 'idp';
  readonly cache: 'hit' | 'miss' | 'negative-hit' | 'stale' | 'coalesced' | 'none';
  readonly durationMs: number;
}

export interface CacheEvent {
  readonly event: 'hit' | 'miss' | 'negative-hit' | 'stale' | 'coalesced' | 'evict' | 'clear';
  readonly reason?: string;
}

export interface RevocationEvent {
  readonly action: 'invalidate' | 'revoke' | 'lock' | 'unlock' | 'flush';
  /** Where it came from: `local` (API call), `remote` (another replica), `webhook:<name>`, `operator`. */
  readonly source: string;
  readonly selector?: Selector;
}

export interface IdpCallEvent {
  /** e.g. `jwks`, `introspection`, `token`, `discovery`, `policy`, `frontegg-active`, `frontegg-vendor-auth`. */
  readonly operation: string;
  readonly outcome: 'ok' | 'error';
  readonly status?: number;
  readonly durationMs: number;
  readonly inFlight?: number;
}

export interface PolicyEvent {
  readonly enabled: boolean | undefined;
  readonly acceptedCredentials: readonly CredentialKind[];
  readonly versionAt: number;
  readonly source: string;
}

export interface WebhookEvent {
  readonly receiver: string;
  readonly status: number;
  readonly outcome: string;
  readonly eventKey?: string;
}

const channels = {
  decision: diagnostics.channel(CHANNELS.decision),
  cache: diagnostics.channel(CHANNELS.cache),
  revocation: diagnostics.channel(CHANNELS.revocation),
  idp: diagnostics.channel(CHANNELS.idp),
  policy: diagnostics.channel(CHANNELS.policy),
  webhook: diagnostics.channel(CHANNELS.webhook),
  tombstoneEviction: diagnostics.channel(CHANNELS.tombstoneEviction),
};

type ChannelPayloads = {
  decision: DecisionEvent;
  cache: CacheEvent;
  revocation: RevocationEvent;
  idp: IdpCallEvent;
  policy: PolicyEvent;
  webhook: WebhookEvent;
  tombstoneEviction: { readonly evicted: number; readonly size: number };
};

/** Publish when someone listens; the payload factory runs only then. */
export function publish<K extends keyof ChannelPayloads>(
  name: K,
  payload: () => ChannelPayloads[K],
): void {
  const channel = channels[name];
  if (channel.hasSubscribers) channel.publish(payload());
}
