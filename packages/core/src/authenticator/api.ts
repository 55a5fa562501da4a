/** The public shape of an authenticator (contract B). */
import type { PolicyObservation, PolicyState, HealthReport } from '../types.js';
import type { Principal, RequestLike, Requirements, Selector, Tombstone } from '../types.js';
import type { WebhookReceiver } from '../webhook-types.js';

/** Counters since start, plus current sizes. */
export interface AuthenticatorStats {
  readonly hits: number;
  readonly misses: number;
  readonly negativeHits: number;
  /** Answers served from an expired entry while the IdP was unavailable (`staleIfErrorMs`). */
  readonly staleHits: number;
  /** Requests that waited for another request's verification of the same credential. */
  readonly coalesced: number;
  /** Cache entries removed, by reason (`evict`, `expire`, `invalidate`, `clear`, `set`, ...). */
  readonly evictions: Readonly<Record<string, number>>;
  /** Cached answers (positive and negative). */
  readonly size: number;
  /** Estimated bytes held by the cache. */
  readonly bytes: number;
  readonly tombstones: number;
  /** Verification calls open at the IdP now. */
  readonly inFlight: number;
  /** Verification calls made since start. */
  readonly idpCalls: number;
}

export interface Authenticator {
  /** Extract, policy-gate, cache/verify, tombstone-check, policy-gate the principal. Throws PortcullisError. */
  authenticate(request: RequestLike): Promise<Principal>;
  /**
   * `authenticate` without a promise when the answer is in memory: returns the principal of a
   * fresh cache hit (tombstone- and policy-checked) and throws the `PortcullisError` of any failure
   * known without I/O (malformed, policy, negative hit, revoked) synchronously; otherwise returns
   * the promise `authenticate` would. For hot paths (middleware, sidecar) that can continue
   * synchronously.
   */
  authenticateOrDefer(request: RequestLike): Principal | Promise<Principal>;
  /** Throws ERR_INSUFFICIENT_SCOPE. */
  authorize(principal: Principal, requirements: Requirements): void;
  /**
   * Drops matching cached answers here and, with a store, on every replica. Settles after the
   * local action and the publish; rejects `ERR_STORE_UNAVAILABLE` when the store failed (the local
   * action stays applied).
   */
  invalidate(selector: Selector): Promise<void>;
  /** Records a tombstone (docs/design.md §5) and drops matching cached answers; settles like `invalidate`. */
  revoke(selector: Selector): Promise<void>;
  /** Unconditional `{userId}` tombstone until `unlockUser` (capped at 30 days). */
  lockUser(userId: string): Promise<void>;
  unlockUser(userId: string): Promise<void>;
  /** Drop every cached answer (operator flush). */
  flush(): Promise<void>;
  readonly policy: {
    current(): PolicyState;
    onChange(listener: (state: PolicyState) => void): () => void;
    /** Apply an observation at once (like a policy event), store and publish it, then re-read the IdP. */
    apply(observation: PolicyObservation, source: string): Promise<void>;
    /** Re-read the provider's settings now. */
    refresh(): Promise<void>;
  };
  /** `standard` always; provider receivers (e.g. `frontegg`) when the provider has them. */
  readonly webhooks: Readonly<Record<string, WebhookReceiver>>;
  /** True when Basic (client credentials) is currently accepted — for the `Basic realm` challenge. */
  acceptsBasic(): boolean;
  tombstones(): readonly Tombstone[];
  stats(): AuthenticatorStats;
  /** Components: policy, idp, store (when configured), tombstones. */
  health(): HealthReport;
  /**
   * Resolves once the first policy state is known (read, pin or store), the provider is warmed up
   * (Frontegg: a vendor token is held) and, with a store, its first load of tombstones, watches and
   * policy was attempted. Before that `authenticate` answers 503 with `Retry-After` (it waits up to
   * `idp.timeoutMs` for the load), never a decision made on half-loaded state.
   */
  ready(): Promise<void>;
  close(): Promise<void>;
}
