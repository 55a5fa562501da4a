/** The `standard` webhook receiver: Standard Webhooks signatures + Portcullis's own event keys. */
import { invalidOption } from '../errors.js';
import type { AuthenticatorActions } from '../provider.js';
import type { Logger } from '../types.js';
import type { WebhookReceiver } from '../webhook-types.js';
import { createWebhookReceiver } from './pipeline.js';
import type { ReplayGuard } from './replay-guard.js';
import { planStandardEvent } from './standard-events.js';
import { decodeStandardSecret, verifyStandardSignature } from './standard-signature.js';

/** Options of `createStandardWebhookReceiver`. */
export interface StandardWebhookReceiverOptions {
  /**
   * `whsec_<base64>` secrets (each ≥ 24 bytes decoded); a signature by any of them is accepted,
   * so a secret can be rotated. An empty list refuses every delivery (401).
   */
  readonly secrets: readonly string[];
  /** Accepted distance between `webhook-timestamp` and now, either way, in seconds. Default 300. */
  readonly toleranceSec?: number;
  /** Largest accepted body, in bytes, checked before hashing. Default 65536. */
  readonly maxBodyBytes?: number;
  readonly actions: AuthenticatorActions;
  /** Remembers `webhook-id`s; its TTL should be at least twice `toleranceSec`. */
  readonly replay: ReplayGuard;
  /** Epoch milliseconds; default `Date.now`. */
  readonly now?: () => number;
  readonly logger?: Logger;
}

export const DEFAULT_WEBHOOK_TOLERANCE_SEC = 300;
export const DEFAULT_WEBHOOK_MAX_BODY_BYTES = 65536;
const MAX_TOLERANCE_SEC = 86400;

/**
 * Creates the `standard` receiver (docs/design.md §5): verifies `webhook-id` / `webhook-timestamp` /
 * `webhook-signature`, then answers through the shared pipeline (see `createWebhookReceiver` for
 * the answer codes and `planStandardEvent` for the event keys and their `data`).
 * Throws `ERR_INVALID_OPTION` naming `webhooks.<option>`.
 */
export function createStandardWebhookReceiver(
  options: StandardWebhookReceiverOptions,
): WebhookReceiver {
  if (!Array.isArray(options.secrets)) {
    invalidOption('webhooks.standardSecrets', 'must be an array of whsec_ secrets');
  }
  const keys = options.secrets.map((secret, index) =>
    decodeStandardSecret(secret, `webhooks.standardSecrets[${index}]`),
  );
  const toleranceSec = options.toleranceSec ?? DEFAULT_WEBHOOK_TOLERANCE_SEC;
  if (!Number.isInteger(toleranceSec) || toleranceSec <= 0 || toleranceSec > MAX_TOLERANCE_SEC) {
    invalidOption(
      'webhooks.toleranceSec',
      `must be an integer from 1 to ${MAX_TOLERANCE_SEC} (seconds)`,
    );
  }
  if (options.now !== undefined && typeof options.now !== 'function') {
    invalidOption('webhooks.now', 'must be a function returning epoch milliseconds');
  }
  if (typeof options.replay !== 'object' || options.replay === null) {
    invalidOption('webhooks.replay', 'is required');
  }
  const now = options.now ?? Date.now;
  return createWebhookReceiver({
    name: 'standard',
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_WEBHOOK_MAX_BODY_BYTES,
    actions: options.actions,
    replay: options.replay,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    verify: (request, body) =>
      verifyStandardSignature(request.headers, body, keys, toleranceSec, now()),
    plan: planStandardEvent,
  });
}
