/** The `standard` receiver of an authenticator, with replay ids kept in the store when there is one. */
import type { AuthenticatorActions } from '../provider.js';
import type { SharedStore } from '../store.js';
import type { WebhookReceiver } from '../webhook-types.js';
import { createMemoryReplayGuard } from '../webhooks/replay-guard.js';
import type { ReplayGuard } from '../webhooks/replay-guard.js';
import { createStandardWebhookReceiver } from '../webhooks/standard-receiver.js';
import type { ResolvedOptions } from './options.js';

/** Webhook ids remembered in memory when there is no store. */
const MEMORY_REPLAY_MAX_ENTRIES = 100_000;

export function buildStandardReceiver(
  o: ResolvedOptions,
  actions: AuthenticatorActions,
): WebhookReceiver {
  const store: SharedStore | undefined = o.store;
  const replay: ReplayGuard =
    store === undefined
      ? createMemoryReplayGuard({
          ttlMs: o.webhooks.replayTtlMs,
          maxEntries: MEMORY_REPLAY_MAX_ENTRIES,
          now: o.now,
        })
      : {
          seen: (id) => store.hasWebhookId(id),
          remember: (id) => store.rememberWebhookId(id, o.webhooks.replayTtlMs),
        };
  return createStandardWebhookReceiver({
    secrets: o.webhooks.standardSecrets,
    toleranceSec: o.webhooks.toleranceSec,
    maxBodyBytes: o.webhooks.maxBodyBytes,
    actions,
    replay,
    now: o.now,
    logger: o.logger,
  });
}
