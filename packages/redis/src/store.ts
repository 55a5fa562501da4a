/**
 * `createRedisStore`: core's `SharedStore` on Redis (docs/design.md §5 "Other replicas"). Tombstones and
 * the policy are stored (tombstones before they are published), invalidations travel on a pub/sub
 * channel, and a reconnect asks the authenticator to resync because pub/sub may have dropped
 * messages meanwhile. Redis being down never blocks a replica: operations reject fast with
 * ERR_STORE_UNAVAILABLE and `health()` says degraded.
 */
import { PortcullisError } from '@portcullis/core';
import type {
  BusMessage,
  ComponentHealth,
  PolicyState,
  SharedPrincipalCache,
  SharedStore,
  StoreSink,
  TenantWatch,
  Tombstone,
} from '@portcullis/core';
import {
  parseJson,
  toBusMessage,
  toPolicyState,
  toSelector,
  toTombstone,
  toWatch,
} from './codec.js';
import type { Commands } from './clients.js';
import { RedisLink } from './connection.js';
import { storeClosed, storeUnavailable } from './errors.js';
import { createKeyLayout, tombstoneId } from './keys.js';
import { defaultClientName, resolveOptions } from './options.js';
import type { RedisStoreOptions } from './options.js';
import { LOAD_TOMBSTONES, SAVE_POLICY, SAVE_TOMBSTONE, SAVE_WATCH } from './scripts.js';
import { createSharedCache } from './shared-cache.js';
import type { RunCommand } from './shared-cache.js';

const MAX_ORIGIN_CHARS = 256;
const MAX_WEBHOOK_ID_CHARS = 1024;
/** Pause before retrying a resync that failed while Redis stayed up (e.g. one command timed out). */
const RESYNC_RETRY_MS = 1000;

/**
 * Creates a Redis-backed shared store. Options are validated here (ERR_INVALID_OPTION); nothing
 * connects until the authenticator calls `start()`.
 *
 * @example
 * const store = createRedisStore({ url: 'redis://redis:6379/0', keyPrefix: 'orders-api:' });
 * const onCluster = createRedisStore({ cluster: ['redis-0:6379', 'redis-1:6379'], keyPrefix: '{orders-api}:' });
 * const onSentinel = createRedisStore({ sentinels: ['sentinel-0:26379'], name: 'mymaster' });
 * const auth = createAuthenticator({ provider, store, cache: { keySecret } });
 */
export function createRedisStore(options: RedisStoreOptions = {}): SharedStore {
  const config = resolveOptions(options);
  const keys = createKeyLayout(config.keyPrefix);
  const { logger, now } = config;

  let phase: 'new' | 'starting' | 'started' | 'closed' = 'new';
  let link: RedisLink | undefined;
  let originId = '';
  let sink: StoreSink | undefined;
  let resyncRunning = false;
  let resyncAgain = false;
  let resyncTimer: NodeJS.Timeout | undefined;

  const run: RunCommand = async (operation, action) => {
    if (phase === 'closed') throw storeClosed();
    // Without a ready connection ioredis would reject anyway (no offline queue); checking first
    // keeps the answer immediate and the reason clear.
    if (link === undefined || link.command.status !== 'ready') {
      throw storeUnavailable(operation, new Error('not connected'));
    }
    const client: Commands = link.command;
    try {
      return await action(client);
    } catch (error) {
      throw storeUnavailable(operation, error);
    }
  };

  const resync = (): void => {
    if (sink === undefined || phase !== 'started') return;
    if (resyncRunning) {
      resyncAgain = true;
      return;
    }
    resyncRunning = true;
    clearTimeout(resyncTimer);
    const target = sink;
    void Promise.resolve()
      .then(() => target.resync())
      .then(
        () => logger.info({ component: 'redis' }, 'resynced after (re)connecting to redis'),
        (error: unknown) => {
          logger.warn(
            { component: 'redis', reason: error instanceof Error ? error.message : String(error) },
            'resync after reconnect failed; retrying',
          );
          // Still up: try again shortly. Down: the next reconnect triggers another resync.
          if (link?.up === true) {
            resyncTimer = setTimeout(resync, RESYNC_RETRY_MS);
            resyncTimer.unref();
          }
        },
      )
      .finally(() => {
        resyncRunning = false;
        if (resyncAgain) {
          resyncAgain = false;
          resync();
        }
      });
  };

  const onMessage = (raw: string): void => {
    if (Buffer.byteLength(raw) > config.maxMessageBytes) {
      logger.warn(
        { component: 'redis', bytes: Buffer.byteLength(raw) },
        'dropped an oversized bus message',
      );
      return;
    }
    const parsed = parseJson(raw, toBusMessage);
    if (!parsed.ok) {
      logger.warn({ component: 'redis', reason: parsed.reason }, 'dropped a malformed bus message');
      return;
    }
    const message = parsed.value;
    if (message.origin === originId || sink === undefined) return;
    try {
      sink.applyRemote(message);
    } catch (error) {
      logger.error(
        {
          component: 'redis',
          type: message.type,
          reason: error instanceof Error ? error.message : String(error),
        },
        'applying a bus message failed',
      );
    }
  };

  const store: SharedStore = {
    async start(origin: string, target: StoreSink): Promise<void> {
      if (phase === 'closed') throw storeClosed();
      if (phase !== 'new') {
        throw new PortcullisError('ERR_INVALID_OPTION', 'the Redis store was already started', {
          details: { option: 'store' },
        });
      }
      if (typeof origin !== 'string' || origin.length === 0 || origin.length > MAX_ORIGIN_CHARS) {
        throw new PortcullisError(
          'ERR_INVALID_OPTION',
          `originId must be 1 to ${MAX_ORIGIN_CHARS} characters`,
          {
            details: { option: 'originId' },
          },
        );
      }
      phase = 'starting';
      originId = origin;
      sink = target;
      link = new RedisLink(
        {
          topology: config.topology,
          auth: config.auth,
          clientName: config.clientName ?? defaultClientName(origin),
          channel: keys.channel,
          connectTimeoutMs: config.connectTimeoutMs,
          commandTimeoutMs: config.commandTimeoutMs,
          reconnectMaxDelayMs: config.reconnectMaxDelayMs,
          logger,
        },
        {
          onMessage,
          // The first "up" inside start() needs no resync: the authenticator loads after start().
          onUp: () => resync(),
        },
      );
      await link.connect();
      if (phase === 'starting') phase = 'started';
      if (!link.up) {
        logger.warn(
          { component: 'redis', reason: link.lastError ?? 'connecting' },
          'redis unreachable at start; working locally until it connects',
        );
      }
    },

    async saveTombstone(tombstone: Tombstone): Promise<void> {
      const selector = toSelector(tombstone.selector);
      const body = JSON.stringify({ kind: tombstone.kind, selector });
      await run('tombstone save', (redis) =>
        SAVE_TOMBSTONE.run(
          redis,
          [keys.tombstoneBodies, keys.tombstoneExpiries, keys.tombstoneRevokedAt],
          [tombstoneId(tombstone), body, tombstone.revokedAt, tombstone.expiresAt, now()],
        ),
      );
    },

    async deleteTombstone(tombstone: Tombstone): Promise<void> {
      const id = tombstoneId(tombstone);
      await run('tombstone delete', (redis) =>
        redis
          .multi()
          .hdel(keys.tombstoneBodies, id)
          .zrem(keys.tombstoneExpiries, id)
          .zrem(keys.tombstoneRevokedAt, id)
          .exec(),
      );
    },

    async loadTombstones(): Promise<readonly Tombstone[]> {
      const at = now();
      const reply = await run('tombstone load', (redis) =>
        LOAD_TOMBSTONES.run(
          redis,
          [keys.tombstoneBodies, keys.tombstoneExpiries, keys.tombstoneRevokedAt],
          [at],
        ),
      );
      return assembleTombstones(reply, at, (reason) =>
        logger.warn({ component: 'redis', reason }, 'ignored a malformed stored tombstone'),
      );
    },

    async saveWatch(watch: TenantWatch): Promise<void> {
      const checked = toWatch(watch);
      await run('watch save', (redis) =>
        SAVE_WATCH.run(
          redis,
          [keys.watches],
          [checked.tenantId, checked.startedAt, checked.expiresAt, now()],
        ),
      );
    },

    async loadWatches(): Promise<readonly TenantWatch[]> {
      const at = now();
      const stored = await run('watch load', (redis) => redis.hgetall(keys.watches));
      const out: TenantWatch[] = [];
      const expired: string[] = [];
      for (const [tenantId, text] of Object.entries(stored)) {
        const parsed = parseJson(text, (body) => toWatch({ ...(body as object), tenantId }));
        if (!parsed.ok) {
          logger.warn(
            { component: 'redis', reason: parsed.reason },
            'ignored a malformed stored watch',
          );
        } else if (parsed.value.expiresAt > at) out.push(parsed.value);
        else expired.push(tenantId);
      }
      if (expired.length > 0) {
        await run('watch prune', (redis) => redis.hdel(keys.watches, ...expired));
      }
      return out;
    },

    async savePolicy(state: PolicyState): Promise<PolicyState> {
      const text = JSON.stringify(state);
      const stored = await run('policy save', (redis) =>
        SAVE_POLICY.run(redis, [keys.policy], [state.version.at, state.version.origin, text]),
      );
      const parsed = typeof stored === 'string' ? parseJson(stored, toPolicyState) : undefined;
      if (parsed?.ok === true) return parsed.value;
      // The stored newer state is unreadable: report ours, do not invent one.
      logger.warn({ component: 'redis' }, 'the stored policy is malformed');
      return state;
    },

    async loadPolicy(): Promise<PolicyState | undefined> {
      const text = await run('policy load', (redis) => redis.hget(keys.policy, 'state'));
      if (text === null) return undefined;
      const parsed = parseJson(text, toPolicyState);
      if (parsed.ok) return parsed.value;
      logger.warn(
        { component: 'redis', reason: parsed.reason },
        'ignored a malformed stored policy',
      );
      return undefined;
    },

    async publish(message: BusMessage): Promise<void> {
      const text = JSON.stringify(message);
      const target = link;
      await run('publish', (redis) => (target as RedisLink).publish(redis, text));
    },

    async acquireLease(name: string, ttlMs: number): Promise<boolean> {
      if (typeof name !== 'string' || name.length === 0 || name.length > MAX_WEBHOOK_ID_CHARS) {
        throw new PortcullisError(
          'ERR_INVALID_OPTION',
          'lease names must be 1 to 1024 characters',
          {
            details: { option: 'lease' },
          },
        );
      }
      if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
        throw new PortcullisError('ERR_INVALID_OPTION', 'lease ttlMs must be a positive integer', {
          details: { option: 'ttlMs' },
        });
      }
      const reply = await run('lease', (redis) =>
        redis.set(keys.lease(name), originId, 'PX', ttlMs, 'NX'),
      );
      return reply === 'OK';
    },

    async hasWebhookId(id: string): Promise<boolean> {
      checkWebhookId(id);
      return (await run('webhook id check', (redis) => redis.exists(keys.webhookId(id)))) === 1;
    },

    async rememberWebhookId(id: string, ttlMs: number): Promise<void> {
      checkWebhookId(id);
      if (!Number.isInteger(ttlMs) || ttlMs <= 0) {
        throw new PortcullisError(
          'ERR_INVALID_OPTION',
          'webhook replay ttlMs must be a positive integer',
          {
            details: { option: 'ttlMs' },
          },
        );
      }
      await run('webhook id remember', (redis) =>
        redis.set(keys.webhookId(id), '1', 'PX', ttlMs, 'NX'),
      );
    },

    health(): ComponentHealth {
      if (phase === 'closed') return { status: 'down', detail: 'closed' };
      if (phase === 'new' || link === undefined)
        return { status: 'starting', detail: 'not started' };
      if (link.up) return { status: 'ok' };
      if (phase === 'starting') return { status: 'starting', detail: 'connecting to redis' };
      return {
        status: 'degraded',
        detail: `redis unreachable: ${link.lastError ?? 'reconnecting'}`,
      };
    },

    async close(): Promise<void> {
      if (phase === 'closed') return;
      phase = 'closed';
      clearTimeout(resyncTimer);
      sink = undefined;
      await link?.close();
    },
  };
  if (config.sharedCache) {
    const sharedCache: SharedPrincipalCache = createSharedCache(keys, run, now, logger);
    return Object.freeze({ ...store, sharedCache });
  }
  return Object.freeze(store);
}

function checkWebhookId(id: string): void {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_WEBHOOK_ID_CHARS) {
    throw new PortcullisError(
      'ERR_INVALID_OPTION',
      `webhook ids must be 1 to ${MAX_WEBHOOK_ID_CHARS} characters`,
      {
        details: { option: 'webhookId' },
      },
    );
  }
}

/** Joins the three structures LOAD_TOMBSTONES returns into tombstones, skipping malformed ones. */
function assembleTombstones(
  reply: unknown,
  at: number,
  onMalformed: (reason: string) => void,
): Tombstone[] {
  if (!Array.isArray(reply) || reply.length !== 3) {
    onMalformed('unexpected script reply');
    return [];
  }
  const [bodies, expiries, revokedAts] = reply as unknown[][];
  const expiresAt = pairs(expiries);
  const revokedAt = pairs(revokedAts);
  const out: Tombstone[] = [];
  for (let i = 0; i + 1 < (bodies?.length ?? 0); i += 2) {
    const id = String(bodies?.[i]);
    const expiry = expiresAt.get(id);
    const revoked = revokedAt.get(id);
    if (expiry === undefined || !(expiry > at)) continue;
    const parsed = parseJson(String(bodies?.[i + 1]), (body) =>
      toTombstone({ ...(body as object), revokedAt: revoked, expiresAt: expiry }),
    );
    if (parsed.ok) out.push(parsed.value);
    else onMalformed(parsed.reason);
  }
  return out;
}

/** `[member, score, member, score…]` → Map. */
function pairs(flat: unknown[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (let i = 0; flat !== undefined && i + 1 < flat.length; i += 2) {
    out.set(String(flat[i]), Number(flat[i + 1]));
  }
  return out;
}
