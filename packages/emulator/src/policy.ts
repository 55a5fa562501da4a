import type { EmulatorApp } from './app.js';
import { apiTokensDisabled, forbidden } from './http/errors.js';

export type CredentialFamily = 'apiToken' | 'accessToken';

/** Throws the Frontegg 403 when M2M tokens are disabled. */
export function assertEnabled(app: EmulatorApp): void {
  if (!app.state.configuration.apiTokensEnabled) throw apiTokensDisabled();
}

/**
 * Creation gate: disabled → 403 "Api tokens are disabled"; the strategy allows only API tokens
 * (`ClientCredentials`) or only access tokens (`AccessToken`). Existing credentials keep working
 * under either strategy — the strategy limits what can be created.
 */
export function assertCanCreate(app: EmulatorApp, family: CredentialFamily): void {
  assertEnabled(app);
  const strategy = app.state.configuration.machineToMachineAuthStrategy;
  const allowed = strategy === 'ClientCredentials' ? 'apiToken' : 'accessToken';
  if (family !== allowed) {
    throw forbidden(
      `${family === 'apiToken' ? 'API tokens (client credentials)' : 'Access tokens'} cannot be created: machineToMachineAuthStrategy is ${strategy}`,
    );
  }
}
