import type { EmulatorApp } from '../app.js';
import { requireVendor } from '../auth.js';
import { HttpError, badRequest } from '../http/errors.js';
import type { Router } from '../http/router.js';
import { objectBody, optionalBoolean, optionalInteger, requiredString } from '../http/validate.js';
import { safeEqual } from '../secrets.js';
import type { M2MStrategy } from '../state.js';
import { issueVendorToken } from '../tokens.js';

const STRATEGIES: readonly M2MStrategy[] = ['ClientCredentials', 'AccessToken'];

/** The credential kinds a strategy accepts, as Portcullis's `m2m.strategy.changed` names them. */
export function acceptedCredentials(strategy: M2MStrategy): string[] {
  return strategy === 'ClientCredentials' ? ['client_credentials'] : ['access_token'];
}

/** Vendor auth, environment configuration and the JWKS. */
export function registerEnvironmentRoutes(router: Router, app: EmulatorApp): void {
  router.add('POST', '/auth/vendor', 'vendor', async ({ body }) => {
    const input = objectBody(body);
    const clientId = requiredString(input, 'clientId');
    const secret = requiredString(input, 'secret');
    const valid =
      safeEqual(clientId, app.state.vendor.clientId) && safeEqual(secret, app.state.vendor.secret);
    if (!valid) throw new HttpError(401, 'Invalid vendor credentials');
    return {
      status: 200,
      body: { token: await issueVendorToken(app), expiresIn: app.vendorTokenTtlSec },
    };
  });

  router.add('GET', '/.well-known/jwks.json', 'jwks', () => ({
    status: 200,
    body: app.keys.jwks(),
  }));

  const configurationPath = '/identity/resources/configurations/v1';
  router.add('GET', configurationPath, 'configurations', async ({ headers }) => {
    await requireVendor(app, headers);
    return { status: 200, body: await configurationView(app) };
  });

  router.add('POST', configurationPath, 'configurations', async ({ headers, body }) => {
    await requireVendor(app, headers);
    const input = objectBody(body);
    const enabled = optionalBoolean(input, 'apiTokensEnabled');
    const addRolesToJwt = optionalBoolean(input, 'addRolesToJwt');
    const addPermissionsToJwt = optionalBoolean(input, 'addPermissionsToJwt');
    const strategy = input['machineToMachineAuthStrategy'];
    if (strategy !== undefined && !STRATEGIES.includes(strategy as M2MStrategy)) {
      throw badRequest(`machineToMachineAuthStrategy must be one of ${STRATEGIES.join(', ')}`);
    }
    if (input['jwtAlgorithm'] !== undefined && input['jwtAlgorithm'] !== 'RS256') {
      throw badRequest('jwtAlgorithm must be RS256 (the only algorithm the emulator signs with)');
    }
    const expiration = optionalInteger(input, 'defaultTokenExpiration', 60, 31_536_000);
    const refreshExpiration = optionalInteger(
      input,
      'defaultRefreshTokenExpiration',
      60,
      31_536_000,
    );

    const configuration = app.state.configuration;
    const wasEnabled = configuration.apiTokensEnabled;
    const previousStrategy = configuration.machineToMachineAuthStrategy;
    if (enabled !== undefined) configuration.apiTokensEnabled = enabled;
    if (addRolesToJwt !== undefined) configuration.addRolesToJwt = addRolesToJwt;
    if (addPermissionsToJwt !== undefined) configuration.addPermissionsToJwt = addPermissionsToJwt;
    if (strategy !== undefined)
      configuration.machineToMachineAuthStrategy = strategy as M2MStrategy;
    if (expiration !== undefined) configuration.defaultTokenExpiration = expiration;
    if (refreshExpiration !== undefined) {
      configuration.defaultRefreshTokenExpiration = refreshExpiration;
    }

    if (wasEnabled !== configuration.apiTokensEnabled) {
      app.webhooks.emitPortcullis(
        configuration.apiTokensEnabled ? 'm2m.enabled' : 'm2m.disabled',
        {},
      );
    }
    if (previousStrategy !== configuration.machineToMachineAuthStrategy) {
      app.webhooks.emitPortcullis('m2m.strategy.changed', {
        acceptedCredentials: acceptedCredentials(configuration.machineToMachineAuthStrategy),
        strategy: configuration.machineToMachineAuthStrategy,
      });
    }
    // Frontegg answers 201 to this POST (frontegg-api-facts.md "Vendor settings").
    return { status: 201, body: await configurationView(app) };
  });
}

async function configurationView(app: EmulatorApp): Promise<Record<string, unknown>> {
  const configuration = app.state.configuration;
  return {
    publicKey: await app.keys.currentPublicPem(),
    apiTokensEnabled: configuration.apiTokensEnabled,
    machineToMachineAuthStrategy: configuration.machineToMachineAuthStrategy,
    jwtAlgorithm: 'RS256',
    defaultTokenExpiration: configuration.defaultTokenExpiration,
    defaultRefreshTokenExpiration: configuration.defaultRefreshTokenExpiration,
    forcePermissions: false,
    addRolesToJwt: configuration.addRolesToJwt,
    addPermissionsToJwt: configuration.addPermissionsToJwt,
  };
}
