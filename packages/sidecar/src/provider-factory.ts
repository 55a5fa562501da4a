/**
 * Provider selection from the config (`PORTCULLIS_PROVIDER`). Presets are looked up on core's
 * public exports at start-up, so a build of core without a preset fails with a clear message
 * instead of a missing-import crash.
 */
import * as core from '@portcullis/core';
import type { Provider } from '@portcullis/core';
import type { ProviderConfig } from './config/sidecar-config.js';
import type { SidecarLogger } from './logging/logger.js';

type PresetFactory = (options: Record<string, unknown>) => Provider;

function preset(name: 'oauth2' | 'frontegg'): PresetFactory {
  const factory = (core as unknown as Record<string, unknown>)[name];
  if (typeof factory !== 'function') {
    throw new core.PortcullisError(
      'ERR_INVALID_OPTION',
      `option PORTCULLIS_PROVIDER=${name}: this build of @portcullis/core has no ${name} preset`,
      { details: { option: 'PORTCULLIS_PROVIDER' } },
    );
  }
  return factory as PresetFactory;
}

/** Build the provider preset the config names. Throws `ERR_INVALID_OPTION` on bad settings. */
export function createProvider(
  config: ProviderConfig,
  logger: SidecarLogger,
  webhooks: { readonly fronteggSecrets: readonly string[]; readonly maxBodyBytes: number },
): Provider {
  if (config.kind === 'oauth2') {
    if (config.audience === undefined) {
      logger.warn(
        { setting: 'PORTCULLIS_AUDIENCE' },
        'no audience configured: JWT aud is not checked',
      );
    }
    return preset('oauth2')({
      issuer: config.issuer,
      audience: config.audience ?? false,
      ...(config.jwksUri === undefined ? {} : { jwksUri: config.jwksUri }),
      ...(config.tokenUrl === undefined ? {} : { tokenEndpoint: config.tokenUrl }),
      ...(config.introspectionUrl === undefined
        ? {}
        : { introspectionEndpoint: config.introspectionUrl }),
      ...(config.introspectionClient === undefined
        ? {}
        : { introspection: config.introspectionClient }),
      ...(config.claimNames === undefined ? {} : { claimNames: config.claimNames }),
    });
  }
  return preset('frontegg')({
    baseUrl: config.baseUrl,
    appUrl: config.appUrl,
    clientId: config.clientId,
    apiKey: config.apiKey,
    // Unset: core expects the vendor client ID as `aud` (frontegg-api-facts.md "Audience").
    ...(config.audience === undefined ? {} : { audience: config.audience }),
    enforceStrategy: config.enforceStrategy,
    webhookSecrets: webhooks.fronteggSecrets,
    webhookMaxBodyBytes: webhooks.maxBodyBytes,
  });
}
