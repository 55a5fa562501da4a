/**
 * The part of core's `Authenticator` (contract B) the sidecar drives. Declared structurally so
 * tests may inject any authenticator; `createAuthenticator()`'s result satisfies it.
 */
import type {
  HealthReport,
  PolicyState,
  Principal,
  RequestLike,
  Requirements,
  Selector,
  Tombstone,
  WebhookReceiver,
} from '@portcullis/core';

export interface SidecarAuthenticator {
  authenticate(request: RequestLike): Promise<Principal>;
  /** Core's synchronous cache-hit path; used when present. */
  authenticateOrDefer?(request: RequestLike): Principal | Promise<Principal>;
  authorize(principal: Principal, requirements: Requirements): void;
  invalidate(selector: Selector): Promise<void>;
  revoke(selector: Selector): Promise<void>;
  flush(): Promise<void>;
  readonly policy: { current(): PolicyState };
  readonly webhooks: Readonly<Record<string, WebhookReceiver>>;
  acceptsBasic(): boolean;
  tombstones(): readonly Tombstone[];
  stats(): { readonly tombstones: number; readonly inFlight: number; readonly size: number };
  health(): HealthReport;
  ready(): Promise<void>;
  close(): Promise<void>;
}
