// Public API of @portcullis/core. Explicit named exports only (no `export *`).
// Areas append their exports below; keep one line per source module.
export { PortcullisError, ERROR_CODES, isPortcullisError } from './errors.js';
export type { ErrorCode, ErrorCodeInfo, OAuthErrorCode, PortcullisErrorOptions } from './errors.js';
export { CREDENTIAL_KINDS } from './types.js';
export type {
  ComponentHealth,
  CredentialForm,
  CredentialKind,
  ExtractedCredential,
  HeadersLike,
  HealthReport,
  Logger,
  OwnerKind,
  PolicyObservation,
  PolicyState,
  PolicyVersion,
  Principal,
  RequestLike,
  Requirements,
  Selector,
  SelectorFields,
  Tombstone,
} from './types.js';
export type {
  AuthenticatorActions,
  Provider,
  ProviderContext,
  VerifiedCredential,
  VerifyContext,
} from './provider.js';
export type { WebhookReceiver, WebhookRequest, WebhookResponse } from './webhook-types.js';
export type {
  BusMessage,
  SharedCacheEntry,
  SharedPrincipalCache,
  SharedStore,
  StoreSink,
} from './store.js';
export { CHANNELS } from './diagnostics.js';
export type {
  CacheEvent,
  DecisionEvent,
  IdpCallEvent,
  PolicyEvent,
  RevocationEvent,
  WebhookEvent,
} from './diagnostics.js';
