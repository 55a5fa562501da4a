/** `--print-config` and start-up logging: the configuration with every secret replaced. */
import type { SidecarConfig } from './sidecar-config.js';

const REDACTED = '[redacted]';

/** A JSON-safe copy of the config with secrets redacted (Redis URL: only its password). */
export function redactConfig(config: SidecarConfig): Record<string, unknown> {
  const provider =
    config.provider.kind === 'frontegg'
      ? { ...config.provider, apiKey: REDACTED }
      : {
          ...config.provider,
          ...(config.provider.introspectionClient === undefined
            ? {}
            : {
                introspectionClient: {
                  clientId: config.provider.introspectionClient.clientId,
                  clientSecret: REDACTED,
                },
              }),
        };
  return {
    ...config,
    adminToken: config.adminToken === undefined ? undefined : REDACTED,
    provider,
    webhooks: {
      ...config.webhooks,
      fronteggSecrets: config.webhooks.fronteggSecrets.map(() => REDACTED),
      standardSecrets: config.webhooks.standardSecrets.map(() => REDACTED),
    },
    redis:
      config.redis === undefined
        ? undefined
        : {
            ...config.redis,
            ...(config.redis.url === undefined ? {} : { url: redactUrlPassword(config.redis.url) }),
            ...(config.redis.password === undefined ? {} : { password: REDACTED }),
            ...(config.redis.sentinelPassword === undefined ? {} : { sentinelPassword: REDACTED }),
            ...(config.redis.sharedCacheSecret === undefined
              ? {}
              : { sharedCacheSecret: REDACTED }),
          },
    routes: {
      default: config.routes.default,
      rules: config.routes.rules.map((rule) => ({
        path: rule.pattern.source,
        methods: rule.methods === undefined ? undefined : [...rule.methods],
        action: rule.action,
        ...rule.requirements,
      })),
    },
  };
}

function redactUrlPassword(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '' && url.username === '') return value;
    if (url.password !== '') url.password = 'redacted';
    else url.username = 'redacted';
    return url.toString();
  } catch {
    return REDACTED;
  }
}
