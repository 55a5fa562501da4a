// Public API of @portcullis/sidecar. Explicit named exports only.
export { startSidecar } from './sidecar.js';
export type { RunningSidecar, SidecarDeps } from './sidecar.js';
export { loadConfig } from './config/load.js';
export type { ConfigIssue, Environment, LoadConfigOptions } from './config/load.js';
export { redactConfig } from './config/redact.js';
export type { ProviderConfig, SidecarConfig } from './config/sidecar-config.js';
export { ENV_VARIABLES } from './config/env-table.js';
export type { EnvVariable } from './config/env-table.js';
export type { SidecarAuthenticator } from './authenticator-port.js';
export { normalizeTarget } from './paths/normalize.js';
export type { NormalizedTarget } from './paths/normalize.js';
export { identityHeaders, encodeHeaderValue } from './identity/headers.js';
