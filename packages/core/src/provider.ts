/**
 * The contract between the authenticator (cache, revocation, policy) and an identity-provider
 * preset (`oauth2`, `frontegg`). A provider verifies; the authenticator decides what to keep.
 */
import type { Dispatcher } from 'undici';
import type {
  ExtractedCredential,
  ComponentHealth,
  Logger,
  PolicyObservation,
  Principal,
  Selector,
  TenantWatch,
} from './types.js';
import type { WebhookReceiver } from './webhook-types.js';

/** Per-call context handed to `Provider.verify`. */
export interface VerifyContext {
  /** Aborted when the IdP timeout passes or the authenticator closes. */
  readonly signal: AbortSignal;
}

/** A successful verification. */
export interface VerifiedCredential {
  readonly principal: Principal;
  /**
   * True when the IdP confirmed the credential is live right now (introspection, Frontegg's
   * active-token lookup). A long-lived JWT that was only verified offline is refused (docs/design.md §5).
   */
  readonly checkedOnline: boolean;
  /** An extra cap on how long the answer may be cached, in ms (e.g. an introspection `exp`). */
  readonly maxTtlMs?: number;
}

/** Revocation and policy actions a provider's webhook receiver or background task may take. */
export interface AuthenticatorActions {
  revoke(selector: Selector): Promise<void>;
  invalidate(selector: Selector): Promise<void>;
  lockUser(userId: string): Promise<void>;
  unlockUser(userId: string): Promise<void>;
  /** Apply a policy event at once (then the provider's policy source is re-read to confirm). */
  applyPolicyEvent(observation: PolicyObservation, source: string): Promise<void>;
  /** Client ids of cached principals of one tenant (for undocumented deletion payloads). */
  cachedClientIds(tenantId: string): readonly string[];
  /**
   * Starts (or restarts) a deletion watch for the tenant on every replica: stored, published,
   * loaded at start and on reconnect; the tenant's cached client credentials are dropped so each
   * is verified (and checked by the provider) again. Resolves with the watch as held.
   */
  watchTenant(tenantId: string, ttlMs: number): Promise<TenantWatch>;
  /** The tenant's live deletion watch, whichever replica started it. */
  watchOf(tenantId: string): TenantWatch | undefined;
  /** True when a tombstone (any replica's) already refuses the principal: no IdP call needed. */
  isRevoked(principal: Principal): boolean;
}

/** What the authenticator gives a provider when it starts. */
export interface ProviderContext {
  readonly logger: Logger;
  /** Epoch milliseconds; injectable for tests. */
  now(): number;
  /** undici dispatcher for IdP calls (tests may pass a MockAgent for faults). */
  readonly dispatcher: Dispatcher | undefined;
  readonly timeoutMs: number;
  readonly clockToleranceSec: number;
  readonly actions: AuthenticatorActions;
  /** Report what the IdP says about the policy (e.g. Frontegg's 403 "Api tokens are disabled"). */
  observePolicy(observation: PolicyObservation, source: string): void;
  /** Ask for an immediate re-read of the provider's policy source. */
  requestPolicyRefresh(): void;
}

export interface Provider {
  readonly name: string;
  /** Called once by `createAuthenticator`, before any `verify`. */
  init?(context: ProviderContext): void;
  /**
   * Resolves once the provider can verify without a start-up call of its own (Frontegg: a vendor
   * token is held). The authenticator is not ready before; it retries with back-off on failure.
   */
  ready?(signal: AbortSignal): Promise<void>;
  /** Verify a credential. Throws a `PortcullisError`: negative codes for bad credentials, 503-class for IdP trouble. */
  verify(credential: ExtractedCredential, context: VerifyContext): Promise<VerifiedCredential>;
  /** The IdP's own M2M settings, where it has a settings route. Absent → events are authoritative. */
  readPolicy?(signal: AbortSignal): Promise<PolicyObservation>;
  /** Provider-specific webhook receivers (e.g. `frontegg`), built with the authenticator's actions. */
  createWebhookReceivers?(actions: AuthenticatorActions): Readonly<Record<string, WebhookReceiver>>;
  /**
   * Re-checks cached client credentials of one tenant against the IdP's token lists and revokes
   * (through `actions`) what is gone: the reconciliation sweep for lost webhooks. Only providers
   * whose IdP can list tokens implement it (Frontegg). Bounded: a few list reads per call.
   */
  reconcile?(
    tenantId: string,
    principals: readonly Principal[],
    actions: AuthenticatorActions,
    signal: AbortSignal,
  ): Promise<{ readonly revoked: number }>;
  health?(): ComponentHealth;
  close?(): Promise<void>;
}
