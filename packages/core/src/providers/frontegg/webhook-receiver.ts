/**
 * The Frontegg webhook receiver (docs/design.md §5), built on core's shared webhook pipeline (body bound,
 * JSON, 2xx only after the actions resolved, 503 when the store failed). This module adds what is
 * Frontegg's: the source allow-list, the `x-webhook-secret` check and the event → action mapping.
 * The signature does not cover the body, so only Frontegg's own keys are accepted here: replaying
 * one can only deny access, never widen it.
 */
import { readSingleHeader } from '../../credentials/headers.js';
import { PortcullisError } from '../../errors.js';
import type { AuthenticatorActions } from '../../provider.js';
import type { Logger } from '../../types.js';
import type { WebhookReceiver, WebhookRequest } from '../../webhook-types.js';
import { createWebhookReceiver } from '../../webhooks/pipeline.js';
import type { WebhookAction, WebhookPlan } from '../../webhooks/pipeline.js';
import type { DeletionWatch } from './deletion-watch.js';
import type { FronteggEventPlan } from './webhook-events.js';
import { planFronteggEvent } from './webhook-events.js';
import { encodeSecrets, verifyWebhookSecret } from './webhook-secret.js';

export const FRONTEGG_RECEIVER_NAME = 'frontegg';

export interface FronteggReceiverOptions {
  /** Hook secrets; several while rotating. None → every delivery is refused (401). */
  readonly secrets: readonly string[];
  /** Oldest accepted `iat`, in seconds. */
  readonly maxAgeSec: number;
  /** Allowed skew for `iat`/`exp`, in seconds. */
  readonly clockToleranceSec: number;
  /** Exact source addresses allowed; `undefined` → any. */
  readonly allowedSources: readonly string[] | undefined;
  readonly maxBodyBytes: number;
  readonly actions: AuthenticatorActions;
  readonly deletionWatch: DeletionWatch;
  /**
   * Asks Frontegg whether the user is unlocked now. The `x-webhook-secret` JWT does not cover the
   * body, so a forged or edited `isLocked: false` must not lift a lock by itself.
   */
  readonly confirmUnlocked: (userId: string, signal: AbortSignal) => Promise<boolean>;
  /** Bound on the IdP calls of an unnamed API-token deletion, in ms. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Epoch milliseconds. */
  readonly now: () => number;
}

/** Builds the `frontegg` receiver (mounted by the middleware and the sidecar). */
export function createFronteggWebhookReceiver(options: FronteggReceiverOptions): WebhookReceiver {
  const secretKeys = encodeSecrets(options.secrets);
  const allowed =
    options.allowedSources === undefined
      ? undefined
      : new Set(options.allowedSources.map(normaliseAddress));

  function toActions(plan: FronteggEventPlan): readonly WebhookAction[] | undefined {
    switch (plan.kind) {
      case 'revoke':
      case 'invalidate':
        return [{ kind: plan.kind, selector: plan.selector }];
      case 'lock':
        return [{ kind: 'lock', userId: plan.userId }];
      case 'unlock':
        // Unlocking widens access, so the body is only a hint: the lock is lifted when Frontegg
        // itself says the user is unlocked. Either way the cached facts about the user are dropped.
        return [
          { kind: 'invalidate', selector: { userId: plan.userId } },
          {
            kind: 'custom',
            name: 'frontegg-confirm-unlock',
            run: async (actions) => {
              const unlocked = await options.confirmUnlocked(
                plan.userId,
                AbortSignal.timeout(options.timeoutMs),
              );
              if (unlocked) await actions.unlockUser(plan.userId);
              else {
                options.logger.warn(
                  { userId: plan.userId },
                  'portcullis: frontegg.user.updated said unlocked, but Frontegg does not confirm it; the lock stays',
                );
              }
            },
          },
        ];
      case 'api-token-deleted-unnamed':
        return [
          {
            kind: 'custom',
            name: 'frontegg-api-token-reconcile',
            // Reconciling only revokes or invalidates: safe to apply even when a replay is possible.
            narrowsOnly: true,
            run: async (actions) => {
              await options.deletionWatch.reconcile(
                plan.tenantId,
                plan.userId,
                actions,
                AbortSignal.timeout(options.timeoutMs),
              );
            },
          },
        ];
      case 'ignored':
        return undefined;
    }
  }

  return createWebhookReceiver({
    name: FRONTEGG_RECEIVER_NAME,
    maxBodyBytes: options.maxBodyBytes,
    actions: options.actions,
    logger: options.logger,
    async verify(request: WebhookRequest) {
      if (allowed !== undefined) {
        const source = request.remoteAddress;
        if (source === undefined || !allowed.has(normaliseAddress(source))) {
          throw new PortcullisError(
            'ERR_WEBHOOK_SOURCE_FORBIDDEN',
            'the webhook source address is not allowed',
          );
        }
      }
      await verifyWebhookSecret(readSingleHeader(request.headers, 'x-webhook-secret'), {
        secretKeys,
        maxAgeSec: options.maxAgeSec,
        clockToleranceSec: options.clockToleranceSec,
        now: options.now(),
      });
      // Frontegg deliveries carry no id: no replay guard (every accepted action only denies).
      return {};
    },
    plan(payload: unknown): WebhookPlan {
      const { eventKey, plan } = planFronteggEvent(payload);
      return { eventKey, actions: toActions(plan) };
    },
  });
}

/** `::ffff:203.0.113.5` (IPv4-mapped, as Node reports on dual-stack sockets) → `203.0.113.5`. */
function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}
