/**
 * The `frontegg` preset (docs/design.md §1, §3, §5): Frontegg M2M credentials — client credentials
 * (Basic, or the exchanged JWT as Bearer) and access tokens (Bearer or X-API-Key, checked live at
 * the vendor-only routes) — plus the environment's M2M settings and the Frontegg webhook receiver.
 */
import { PortcullisError, isPortcullisError } from '../../errors.js';
import type { Provider, ProviderContext, VerifiedCredential } from '../../provider.js';
import type {
  ComponentHealth,
  ExtractedCredential,
  Logger,
  PolicyObservation,
  Principal,
} from '../../types.js';
import type { WebhookReceiver } from '../../webhook-types.js';
import { createAccessTokenChecker } from './access-tokens.js';
import type { AccessTokenChecker } from './access-tokens.js';
import { exchangeApiToken } from './api-token-exchange.js';
import { readConfigurations } from './configurations.js';
import { createDeletionWatch } from './deletion-watch.js';
import { createGrantResolver } from './grants.js';
import type { GrantResolver } from './grants.js';
import type { DeletionWatch } from './deletion-watch.js';
import { createFronteggSend } from './http.js';
import type { FronteggSend } from './http.js';
import { createFronteggJwtVerifier } from './jwt.js';
import type { FronteggJwtVerifier } from './jwt.js';
import { resolveFronteggOptions } from './options.js';
import type { FronteggProviderOptions, ResolvedFronteggOptions } from './options.js';
import { isAccessTokenType, toPrincipal, tokenTypeOf } from './principal.js';
import type { AccessTokenEntity, FronteggTokenType } from './principal.js';
import { createVendorTokenClient } from './vendor-token.js';
import type { VendorTokenClient } from './vendor-token.js';
import { createFronteggWebhookReceiver, FRONTEGG_RECEIVER_NAME } from './webhook-receiver.js';

const SILENT: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const DEFAULT_TIMEOUT_MS = 2000;
const DEFAULT_CLOCK_TOLERANCE_SEC = 5;
/** Token lists one reconciliation of one tenant may read: its own and up to nine users'. */
const MAX_LISTS_PER_RECONCILE = 10;

/** What the preset builds once it knows its context (clock, dispatcher, logger). */
interface Runtime {
  readonly context: ProviderContext | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  readonly timeoutMs: number;
  readonly clockToleranceSec: number;
  readonly send: FronteggSend;
  readonly vendor: VendorTokenClient;
  readonly jwt: FronteggJwtVerifier;
  readonly accessTokens: AccessTokenChecker;
  readonly watch: DeletionWatch;
  readonly grants: GrantResolver;
}

/**
 * Frontegg provider preset.
 *
 * @example
 * ```ts
 * const authenticator = createAuthenticator({
 *   provider: frontegg({
 *     baseUrl: 'https://api.frontegg.com',
 *     appUrl: 'https://app-xyz.frontegg.com',
 *     clientId: vendorClientId, // also the expected `aud` unless `audience` says otherwise
 *     apiKey: vendorApiKey,
 *     webhookSecrets: [hookSecret],
 *   }),
 * });
 * ```
 * Throws `ERR_INVALID_OPTION` naming each bad option.
 */
export function frontegg(options: FronteggProviderOptions): Provider {
  const config = resolveFronteggOptions(options);
  let runtime: Runtime | undefined;
  /** `defaultTokenExpiration` from the last settings read, in seconds. */
  let maxTokenLifetimeSec: number | undefined;
  /** `addRolesToJwt` / `addPermissionsToJwt` from the last settings read. */
  let jwtClaims = { roles: true, permissions: true };
  /**
   * Templates and the prehook can make a token outlive `defaultTokenExpiration`
   * (frontegg-api-facts.md "API tokens"): the longest lifetime and the latest `exp` seen.
   */
  const seen = { longestLifetimeSec: 0, latestExpMs: 0 };
  const watchTtlMs = (): number =>
    Math.max(
      config.deletionWatchTtlMs,
      (maxTokenLifetimeSec ?? 0) * 1000,
      seen.longestLifetimeSec * 1000,
      seen.latestExpMs - rt().now(),
    );

  function rt(): Runtime {
    runtime ??= buildRuntime(config, undefined, watchTtlMs);
    return runtime;
  }

  /** Records a verified token's lifetime; one longer than any seen raises the tombstone floor. */
  function observeLifetime(principal: Principal): void {
    if (principal.expiresAt === undefined) return;
    seen.latestExpMs = Math.max(seen.latestExpMs, principal.expiresAt * 1000);
    const lifetimeSec = Math.ceil(principal.expiresAt - (principal.issuedAt ?? rt().now() / 1000));
    if (lifetimeSec <= seen.longestLifetimeSec) return;
    seen.longestLifetimeSec = lifetimeSec;
    if (lifetimeSec > (maxTokenLifetimeSec ?? 0)) {
      // Tombstones must outlive this token, not only `defaultTokenExpiration`.
      rt().context?.observePolicy({ maxTokenLifetimeSec: lifetimeSec }, 'frontegg:token-exp');
    }
  }

  /**
   * An API token's principal, its roles and permissions from the JWT, or from the vendor API when
   * the environment leaves them out of JWTs or the JWT carries none (never silently "none").
   */
  async function apiTokenPrincipal(
    payload: Record<string, unknown>,
    type: FronteggTokenType,
    signal: AbortSignal,
  ): Promise<Principal> {
    const principal = toPrincipal(payload, type);
    const rolesFromIdp = !jwtClaims.roles || payload['roles'] === undefined;
    const permissionsFromIdp = !jwtClaims.permissions || payload['permissions'] === undefined;
    if (!rolesFromIdp && !permissionsFromIdp) {
      return Object.freeze({ ...principal, grantsSource: 'token' });
    }
    if (principal.tenantId === undefined || principal.clientId === undefined) {
      throw new PortcullisError(
        'ERR_TOKEN_CLAIM_INVALID',
        'the API token carries no roles or permissions and no tenantId to look them up',
      );
    }
    const resolved = await rt().grants.resolve(
      {
        clientId: principal.clientId,
        tenantId: principal.tenantId,
        ...(principal.userId === undefined ? {} : { userId: principal.userId }),
      },
      signal,
    );
    rt().logger.debug(
      {
        provider: 'frontegg',
        grantsSource: 'idp',
        roles: rolesFromIdp,
        permissions: permissionsFromIdp,
      },
      'frontegg API-token JWT without roles/permissions: read them from the vendor API',
    );
    return Object.freeze({
      ...principal,
      roles: Object.freeze(rolesFromIdp ? [...resolved.roles] : [...principal.roles]),
      permissions: Object.freeze(
        permissionsFromIdp ? [...resolved.permissions] : [...principal.permissions],
      ),
      grantsSource: 'idp',
    });
  }

  function reportDisabled(error: unknown): void {
    if (!isPortcullisError(error) || error.code !== 'ERR_M2M_DISABLED') return;
    const context = rt().context;
    // Disable at once; the immediate re-read of the settings confirms or corrects it (docs/design.md §1).
    context?.observePolicy({ enabled: false }, 'frontegg:api-tokens-disabled');
    context?.requestPolicyRefresh();
  }

  async function verifyJwt(
    token: string,
    signal: AbortSignal,
  ): Promise<{ payload: Record<string, unknown>; type: FronteggTokenType }> {
    const { payload } = await rt().jwt.verify(token, signal);
    return { payload, type: tokenTypeOf(payload, config.allowUserTokens) };
  }

  async function verifyCredential(
    credential: ExtractedCredential,
    signal: AbortSignal,
  ): Promise<VerifiedCredential> {
    const { send, accessTokens } = rt();
    if (credential.form === 'basic') {
      const token = await exchangeApiToken(
        send,
        config.appUrl,
        credential.clientId,
        credential.secret,
        signal,
      );
      const { payload, type } = await verifyJwt(token, signal);
      if (type !== 'tenantApiToken' && type !== 'userApiToken') {
        throw new PortcullisError(
          'ERR_IDP_RESPONSE_INVALID',
          `Frontegg api-token exchange returned a ${type} token`,
          { details: { operation: 'token' } },
        );
      }
      return { principal: await apiTokenPrincipal(payload, type, signal), checkedOnline: false };
    }
    const { payload, type } = await verifyJwt(credential.token, signal);
    if (credential.form === 'api-key' && !isAccessTokenType(type)) {
      // Frontegg's header for access tokens only (frontegg-wire.md §4); its SDK answers 400 too.
      throw new PortcullisError(
        'ERR_TOKEN_TYPE_NOT_ALLOWED',
        `the ${credential.header} header carries Frontegg access tokens only; send ${type} tokens as Bearer`,
      );
    }
    if (type === 'tenantApiToken' || type === 'userApiToken') {
      return { principal: await apiTokenPrincipal(payload, type, signal), checkedOnline: false };
    }
    if (!isAccessTokenType(type)) {
      return { principal: toPrincipal(payload, type), checkedOnline: false };
    }
    const tokenId = typeof payload['sub'] === 'string' ? payload['sub'] : '';
    const iat = payload['iat'];
    const entity: AccessTokenEntity = await accessTokens.check(
      type === 'tenantAccessToken' ? 'tenants' : 'users',
      tokenId,
      typeof iat === 'number' && Number.isFinite(iat) ? iat : undefined,
      signal,
    );
    const principal = toPrincipal(payload, type, entity);
    return { principal: Object.freeze({ ...principal, grantsSource: 'idp' }), checkedOnline: true };
  }

  return {
    name: 'frontegg',

    init(context) {
      runtime = buildRuntime(config, context, watchTtlMs);
      if (config.webhookSecrets.length === 0) {
        context.logger.info(
          { provider: 'frontegg' },
          'frontegg webhookSecrets not set: the frontegg webhook receiver refuses every delivery',
        );
      }
    },

    async ready(signal) {
      // Ready means a vendor token is held: the first deletion check or access-token lookup must
      // not wait for (or fail on) the vendor authentication.
      await rt().vendor.ensureToken(signal);
    },

    async verify(credential, { signal }) {
      try {
        const verified = await verifyCredential(credential, signal);
        observeLifetime(verified.principal);
        const { watch, context } = rt();
        watch.remember(verified.principal);
        // Without `init` there is no authenticator, hence no receiver and no watch to consult.
        if (context !== undefined) await watch.check(verified.principal, context.actions, signal);
        return verified;
      } catch (error) {
        reportDisabled(error);
        throw error;
      }
    },

    async readPolicy(signal): Promise<PolicyObservation> {
      const { vendor, jwt } = rt();
      try {
        const settings = await readConfigurations(vendor, signal, config.enforceStrategy);
        if (settings.publicKey !== undefined) jwt.setFallbackKey(settings.publicKey);
        maxTokenLifetimeSec = settings.observation.maxTokenLifetimeSec;
        jwtClaims = { ...settings.jwtClaims };
        return settings.observation;
      } catch (error) {
        if (isPortcullisError(error) && error.code === 'ERR_M2M_DISABLED')
          return { enabled: false };
        throw error;
      }
    },

    async reconcile(tenantId, principals, actions, signal) {
      return rt().watch.sweep(tenantId, principals, actions, MAX_LISTS_PER_RECONCILE, signal);
    },

    createWebhookReceivers(actions): Readonly<Record<string, WebhookReceiver>> {
      // The runtime may be rebuilt by `init`; the receiver always reaches the current one.
      const watch: DeletionWatch = {
        remember: (principal) => rt().watch.remember(principal),
        reconcile: (...args) => rt().watch.reconcile(...args),
        check: (...args) => rt().watch.check(...args),
        sweep: (...args) => rt().watch.sweep(...args),
        size: () => rt().watch.size(),
      };
      const logger: Logger = {
        debug: (obj, msg) => rt().logger.debug(obj, msg),
        info: (obj, msg) => rt().logger.info(obj, msg),
        warn: (obj, msg) => rt().logger.warn(obj, msg),
        error: (obj, msg) => rt().logger.error(obj, msg),
      };
      return Object.freeze({
        [FRONTEGG_RECEIVER_NAME]: createFronteggWebhookReceiver({
          secrets: config.webhookSecrets,
          maxAgeSec: config.maxWebhookAgeSec,
          clockToleranceSec: rt().clockToleranceSec,
          allowedSources: config.webhookAllowedSources,
          maxBodyBytes: config.webhookMaxBodyBytes,
          actions,
          deletionWatch: watch,
          confirmUnlocked: (userId, signal) => confirmUnlocked(rt().vendor, userId, signal),
          timeoutMs: rt().timeoutMs * 4,
          logger,
          now: () => rt().now(),
        }),
      });
    },

    health(): ComponentHealth {
      const { jwt, vendor } = rt();
      const keys = jwt.health();
      // Deletion watches are the authenticator's shared state: its `tombstones` detail counts them.
      const detail = [keys.detail, vendor.hasToken() ? undefined : 'no vendor token yet']
        .filter((part) => part !== undefined)
        .join('; ');
      return detail === '' ? { status: keys.status } : { status: keys.status, detail };
    },

    async close() {
      // Nothing runs in the background: every IdP call belongs to a request or a policy read.
    },
  };
}

function buildRuntime(
  config: ResolvedFronteggOptions,
  context: ProviderContext | undefined,
  watchTtlMs: () => number,
): Runtime {
  const now = context === undefined ? Date.now : () => context.now();
  const logger = context?.logger ?? SILENT;
  const timeoutMs = context?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const clockToleranceSec = context?.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;
  const send = createFronteggSend({ dispatcher: context?.dispatcher, timeoutMs, now });
  const vendor = createVendorTokenClient({
    baseUrl: config.baseUrl,
    clientId: config.clientId,
    apiKey: config.apiKey,
    refreshRatio: config.vendorTokenRefreshRatio,
    send,
    now,
  });
  return {
    context,
    logger,
    now,
    timeoutMs,
    clockToleranceSec,
    send,
    vendor,
    jwt: createFronteggJwtVerifier({
      config,
      vendor,
      dispatcher: context?.dispatcher,
      timeoutMs,
      clockToleranceSec,
      now,
      logger,
    }),
    accessTokens: createAccessTokenChecker({
      vendor,
      listTtlMs: config.activeListTtlMs,
      listMax: config.activeListMax,
      clockToleranceSec,
      logger,
      now,
    }),
    watch: createDeletionWatch({
      vendor,
      watchTtlMs,
      refreshMs: config.deletionWatchRefreshMs,
      maxTenants: config.deletionWatchMaxTenants,
      clockToleranceSec,
      logger,
      now,
    }),
    grants: createGrantResolver({ vendor, now }),
  };
}

/** True when Frontegg's user record says the user exists and is not locked. */
async function confirmUnlocked(
  vendor: VendorTokenClient,
  userId: string,
  signal: AbortSignal,
): Promise<boolean> {
  const answer = await vendor.call({
    operation: 'frontegg-user',
    method: 'GET',
    // The tenant-free read (VendorOnlyUsers_getUserById): `users/v1/{id}` requires
    // `frontegg-tenant-id`, which a user event does not always name (frontegg-api-facts.md "Users").
    path: `/identity/resources/vendor-only/users/v1/${encodeURIComponent(userId)}`,
    signal,
    passStatuses: [404],
  });
  if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null) {
    return false;
  }
  return (answer.body as { isLocked?: unknown }).isLocked === false;
}
