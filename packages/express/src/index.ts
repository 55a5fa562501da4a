// Public API of @portcullis/express. Explicit named exports only (no `export *`).
// Passport strategies live in the `@portcullis/express/passport` subpath.
import './augment.js';
export { m2mAuth } from './middleware.js';
export type { M2MAuthOptions, RequestAuthenticator } from './middleware.js';
export {
  requireOwnerKind,
  requirePermissions,
  requireRoles,
  requireScopes,
  requireTenant,
} from './guards.js';
export type { NameListSpec } from './guards.js';
export { m2mErrorHandler } from './error-handler.js';
export type { M2MErrorHandlerOptions } from './error-handler.js';
export { webhookHandler } from './webhooks/handler.js';
export type { WebhookHandlerOptions } from './webhooks/handler.js';
// Core's error surface, so an Express app can tell Portcullis errors apart without importing
// @portcullis/core itself (docs/errors.md).
export { PortcullisError, ERROR_CODES, isPortcullisError } from '@portcullis/core';
export type { ErrorCode } from '@portcullis/core';
