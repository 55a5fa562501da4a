import { randomUUID } from 'node:crypto';
import type { Webhook } from '../state.js';
import { decodeStandardSecret, fronteggWebhookJwt, standardWebhookHeaders } from './signing.js';
import type { WebhookAlgorithm } from './signing.js';

/** Portcullis's own event keys: sent only to hooks with a Standard Webhooks secret. */
export const PORTCULLIS_EVENT_KEYS = [
  'm2m.disabled',
  'm2m.enabled',
  'm2m.strategy.changed',
  'token.revoked',
  'roles.updated',
] as const;

/** Frontegg event keys the emulator emits. */
export const FRONTEGG_EVENT_KEYS = [
  'frontegg.tenantApiToken.deleted',
  'frontegg.userApiToken.deleted',
  'frontegg.user.deleted',
  'frontegg.user.removedFromTenant',
  'frontegg.user.updated',
  'frontegg.tenant.deleted',
] as const;

export interface DeliveryAttempt {
  at: string;
  status?: number;
  error?: string;
}

export interface DeliveryLogEntry {
  id: string;
  hookId: string;
  eventKey: string;
  url: string;
  body: string;
  /** `dropped`: never sent, because the `dropDeliveries` switch was on (a lost webhook). */
  status: 'pending' | 'delivered' | 'failed' | 'dropped';
  attempts: DeliveryAttempt[];
}

/**
 * Test switches for what Frontegg may do and tests must survive (`/_emulator/webhooks/switches`).
 * `omitClientId`: `*ApiToken.deleted` bodies carry only `eventContext` (Frontegg documents none).
 * `dropDeliveries`: deliveries are logged as `dropped` and never sent (Frontegg documents no retry).
 */
export interface DeliverySwitches {
  omitClientId: boolean;
  dropDeliveries: boolean;
}

export interface DispatcherOptions {
  readonly hooks: () => readonly Webhook[];
  readonly now: () => number;
  /** Attempts per delivery, first included. */
  readonly maxAttempts: number;
  /** Delay before the 2nd attempt; doubles each time. */
  readonly retryBaseDelayMs: number;
  readonly timeoutMs: number;
  /** Algorithm of the `x-webhook-secret` JWT. */
  readonly alg: WebhookAlgorithm;
  readonly log: (line: string) => void;
}

/** Keeps at most this many deliveries in the log (oldest dropped). */
const MAX_LOG_ENTRIES = 1000;

/**
 * Queues webhook deliveries off the request path, retries with exponential backoff and keeps a
 * bounded delivery log. `flush()` resolves once nothing is pending (tests await it).
 */
export class WebhookDispatcher {
  private readonly entries: DeliveryLogEntry[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters: Array<() => void> = [];
  private pending = 0;
  private closed = false;
  readonly switches: DeliverySwitches = { omitClientId: false, dropDeliveries: false };

  constructor(private readonly options: DispatcherOptions) {}

  /** Emits a Frontegg event `{eventKey, eventContext, ...rest}` to the hooks subscribed to it. */
  emitFrontegg(eventKey: string, body: Record<string, unknown>): void {
    const sent =
      this.switches.omitClientId && eventKey.endsWith('ApiToken.deleted')
        ? { eventContext: body['eventContext'] }
        : body;
    this.enqueue(eventKey, JSON.stringify({ eventKey, ...sent }), false);
  }

  /** Emits a Portcullis event as a Standard Webhooks body `{type, timestamp, data}`. */
  emitPortcullis(type: string, data: Record<string, unknown>): void {
    const body = { type, timestamp: new Date(this.options.now()).toISOString(), data };
    this.enqueue(type, JSON.stringify(body), true);
  }

  log(hookId?: string): DeliveryLogEntry[] {
    return this.entries.filter((entry) => hookId === undefined || entry.hookId === hookId);
  }

  /** Resolves when every queued delivery has succeeded or used up its attempts. */
  flush(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.pending = 0;
    this.wake();
  }

  private enqueue(eventKey: string, body: string, standardOnly: boolean): void {
    if (this.closed) return;
    for (const hook of this.options.hooks()) {
      if (!hook.isActive || !hook.eventKeys.includes(eventKey)) continue;
      if (standardOnly && hook.standardWebhooksSecret === undefined) continue;
      const entry: DeliveryLogEntry = {
        id: `msg_${randomUUID()}`,
        hookId: hook._id,
        eventKey,
        url: hook.url,
        body,
        status: 'pending',
        attempts: [],
      };
      this.entries.push(entry);
      if (this.entries.length > MAX_LOG_ENTRIES) this.entries.shift();
      if (this.switches.dropDeliveries) {
        entry.status = 'dropped';
        continue;
      }
      this.pending++;
      this.schedule(hook, entry, 0);
    }
  }

  private schedule(hook: Webhook, entry: DeliveryLogEntry, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(hook, entry);
    }, delayMs);
    this.timers.add(timer);
  }

  private async attempt(hook: Webhook, entry: DeliveryLogEntry): Promise<void> {
    const attempt: DeliveryAttempt = { at: new Date(this.options.now()).toISOString() };
    entry.attempts.push(attempt);
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: await this.headers(hook, entry),
        body: entry.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      attempt.status = response.status;
      await response.body?.cancel();
      if (response.status >= 200 && response.status < 300) {
        this.settle(entry, 'delivered');
        return;
      }
    } catch (error) {
      attempt.error = error instanceof Error ? error.message : String(error);
    }
    if (this.closed) return;
    if (entry.attempts.length >= this.options.maxAttempts) {
      this.options.log(
        `portcullis-emulator: webhook ${entry.eventKey} to ${hook.url} failed after ${entry.attempts.length} attempts`,
      );
      this.settle(entry, 'failed');
      return;
    }
    this.schedule(hook, entry, this.options.retryBaseDelayMs * 2 ** (entry.attempts.length - 1));
  }

  private async headers(hook: Webhook, entry: DeliveryLogEntry): Promise<Record<string, string>> {
    const nowSec = Math.floor(this.options.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'portcullis-emulator',
      'x-webhook-secret': await fronteggWebhookJwt(hook.secret, nowSec, this.options.alg),
    };
    const key =
      hook.standardWebhooksSecret === undefined
        ? undefined
        : decodeStandardSecret(hook.standardWebhooksSecret);
    if (key) Object.assign(headers, standardWebhookHeaders(key, entry.id, nowSec, entry.body));
    return headers;
  }

  private settle(entry: DeliveryLogEntry, status: 'delivered' | 'failed'): void {
    entry.status = status;
    this.pending = Math.max(0, this.pending - 1);
    if (this.pending === 0) this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }
}
