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
  TenantWatch,
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
export { extractCredential } from './credentials/extract.js';
export {
  normalizeExtractOptions,
  DEFAULT_API_KEY_HEADER,
  DEFAULT_MAX_CREDENTIAL_BYTES,
} from './credentials/options.js';
export type { ExtractOptions } from './credentials/options.js';
export { authorize } from './authorization.js';
export type { MissingRequirements } from './authorization.js';
export { buildChallenge } from './http/challenge.js';
export type { ChallengeOptions } from './http/challenge.js';
export { errorResponse } from './http/answer.js';
export type { ErrorResponse, ErrorResponseOptions } from './http/answer.js';
export { createMemoryReplayGuard } from './webhooks/replay-guard.js';
export type { MemoryReplayGuardOptions, ReplayGuard } from './webhooks/replay-guard.js';
export { answerWebhook, createWebhookReceiver } from './webhooks/pipeline.js';
export type {
  VerifiedDelivery,
  WebhookAction,
  WebhookPlan,
  WebhookReceiverSpec,
} from './webhooks/pipeline.js';
export { STANDARD_EVENT_KEYS, planStandardEvent } from './webhooks/standard-events.js';
export type { StandardEventData, StandardEventKey } from './webhooks/standard-events.js';
export {
  decodeStandardSecret,
  signStandardWebhook,
  verifyStandardSignature,
} from './webhooks/standard-signature.js';
export type { StandardDelivery } from './webhooks/standard-signature.js';
export {
  createStandardWebhookReceiver,
  DEFAULT_WEBHOOK_MAX_BODY_BYTES,
  DEFAULT_WEBHOOK_TOLERANCE_SEC,
} from './webhooks/standard-receiver.js';
export type { StandardWebhookReceiverOptions } from './webhooks/standard-receiver.js';
export { createAuthenticator } from './authenticator.js';
export type { Authenticator, AuthenticatorOptions, AuthenticatorStats } from './authenticator.js';
export { frontegg } from './providers/frontegg/provider.js';
export type { FronteggProviderOptions } from './providers/frontegg/options.js';
export { oauth2 } from './providers/oauth2.js';
export type { OAuth2ProviderOptions } from './providers/oauth2.js';
export { createJwtVerifier, DEFAULT_JWT_ALGORITHMS } from './verifiers/jwt.js';
export type {
  JwtVerifier,
  JwtVerifierOptions,
  JwtVerifyCallOptions,
  JwtVerifyResult,
} from './verifiers/jwt.js';
export { createIntrospectionVerifier } from './verifiers/introspection.js';
export type {
  ClientAuthMethod,
  IntrospectionVerifier,
  IntrospectionVerifierOptions,
} from './verifiers/introspection.js';
export { createClientCredentialsVerifier } from './verifiers/client-credentials.js';
export type {
  ClientCredentialsVerifier,
  ClientCredentialsVerifierOptions,
} from './verifiers/client-credentials.js';
export { credentialKindFromClaims, mapClaimsToPrincipal } from './principal/claims.js';
export type { ClaimNames, MapClaimsOptions } from './principal/claims.js';
export { invalidOption } from './errors.js';
