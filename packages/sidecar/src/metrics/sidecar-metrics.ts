/**
 * Prometheus metrics (prom-client, one registry per sidecar) fed by core's diagnostics channels
 * and by the sidecar's own request pipeline. Labels never carry a credential or a subject.
 */
import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { CHANNELS } from '@portcullis/core';
import type {
  CacheEvent,
  DecisionEvent,
  IdpCallEvent,
  RevocationEvent,
  WebhookEvent,
} from '@portcullis/core';
import type { SidecarAuthenticator } from '../authenticator-port.js';
import { CounterTally, LabelledHistogram } from './tally.js';

export interface SidecarMetrics {
  readonly registry: Registry;
  /** One finished request on the main listener. */
  observeRequest(kind: string, decision: string, status: number): void;
  /** Upstream response-header latency, in ms. */
  observeUpstream(durationMs: number, status: number): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  readonly contentType: string;
  close(): void;
}

export interface SidecarMetricsOptions {
  readonly authenticator: () => SidecarAuthenticator | undefined;
  readonly now?: () => number;
  /** Collect process metrics (memory, CPU, event loop); default true. */
  readonly processMetrics?: boolean;
}

/** Create the registry and subscribe to core's diagnostics channels (undone by `close()`). */
export function createSidecarMetrics(options: SidecarMetricsOptions): SidecarMetrics {
  const now = options.now ?? Date.now;
  const registry = new Registry();
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  // Counted per request on the hot path: plain maps, handed to prom-client at scrape time.
  const decisionTally = new CounterTally(['outcome', 'reason', 'cache']);
  new Counter({
    name: 'portcullis_decisions_total',
    help: 'Authentication outcomes by outcome and reason (error code, or "ok").',
    labelNames: ['outcome', 'reason', 'cache'],
    registers,
    collect() {
      decisionTally.flushInto(this);
    },
  });
  const cacheTally = new CounterTally(['event']);
  new Counter({
    name: 'portcullis_cache_events_total',
    help: 'Principal cache events: hit, miss, negative-hit, stale, coalesced, evict, clear.',
    labelNames: ['event'],
    registers,
    collect() {
      cacheTally.flushInto(this);
    },
  });
  const idpDuration = new Histogram({
    name: 'portcullis_idp_call_duration_seconds',
    help: 'Latency of calls to the identity provider.',
    labelNames: ['operation', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers,
  });
  const idpErrors = new Counter({
    name: 'portcullis_idp_errors_total',
    help: 'Failed calls to the identity provider.',
    labelNames: ['operation'],
    registers,
  });
  const revocations = new Counter({
    name: 'portcullis_revocations_total',
    help: 'Invalidations, revocations, locks and flushes by source.',
    labelNames: ['action', 'source'],
    registers,
  });
  const reconcileRevocations = new Counter({
    name: 'portcullis_reconcile_revocations_total',
    help: 'Credentials revoked by the lost-webhook reconciliation sweep (gone at the IdP, no webhook seen).',
    registers,
  });
  const webhooks = new Counter({
    name: 'portcullis_webhooks_total',
    help: 'Webhook deliveries by receiver and outcome.',
    labelNames: ['receiver', 'outcome'],
    registers,
  });
  const requestTally = new CounterTally(['kind', 'decision', 'status']);
  new Counter({
    name: 'portcullis_requests_total',
    help: 'Requests on the main listener by kind (proxy, verify, webhook), decision and status class.',
    labelNames: ['kind', 'decision', 'status'],
    registers,
    collect() {
      requestTally.flushInto(this);
    },
  });
  const upstream = new LabelledHistogram({
    name: 'portcullis_upstream_duration_seconds',
    help: 'Time until the upstream answered with response headers.',
    labelName: 'status',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  });
  registry.registerMetric(upstream as unknown as Parameters<Registry['registerMetric']>[0]);
  // Read from the authenticator at scrape time, so they are right from the first scrape (a pinned
  // or event-driven policy may never publish a change).
  new Gauge({
    name: 'portcullis_policy_version_timestamp_seconds',
    help: 'Observation time of the policy state in force.',
    registers,
    collect() {
      const state = options.authenticator()?.policy.current();
      if (state !== undefined) this.set(state.version.at / 1000);
    },
  });
  new Gauge({
    name: 'portcullis_policy_enabled',
    help: 'M2M enabled (1), disabled (0), unknown (-1).',
    registers,
    collect() {
      const state = options.authenticator()?.policy.current();
      if (state !== undefined) this.set(state.enabled === undefined ? -1 : state.enabled ? 1 : 0);
    },
  });
  const tombstoneEvictions = new Counter({
    name: 'portcullis_tombstone_evictions_total',
    help: 'Tombstones evicted because the table was full (each one is also logged as an error).',
    registers,
  });
  let lastPolicySync: number | undefined;
  new Gauge({
    name: 'portcullis_policy_sync_age_seconds',
    help: 'Seconds since the policy was last read from the IdP or changed by an event (-1: never).',
    registers,
    collect() {
      this.set(lastPolicySync === undefined ? -1 : (now() - lastPolicySync) / 1000);
    },
  });
  const resyncs = new Counter({
    name: 'portcullis_store_resyncs_total',
    help: 'Shared-store (Redis) resynchronisations (cache cleared after a reconnect).',
    registers,
  });
  new Gauge({
    name: 'portcullis_tombstones',
    help: 'Revocation tombstones held.',
    registers,
    collect() {
      const stats = options.authenticator()?.stats();
      if (stats !== undefined) this.set(stats.tombstones);
    },
  });
  new Gauge({
    name: 'portcullis_idp_in_flight',
    help: 'Identity-provider calls in flight.',
    registers,
    collect() {
      const stats = options.authenticator()?.stats();
      if (stats !== undefined) this.set(stats.inFlight);
    },
  });
  new Gauge({
    name: 'portcullis_cache_entries',
    help: 'Principals in the local cache.',
    registers,
    collect() {
      const stats = options.authenticator()?.stats();
      if (stats !== undefined) this.set(stats.size);
    },
  });

  const handlers: Array<[string, (message: unknown) => void]> = [
    [
      CHANNELS.decision,
      (m) => {
        const e = m as DecisionEvent;
        decisionTally.inc(e.outcome, e.code ?? 'ok', e.cache);
      },
    ],
    [
      CHANNELS.cache,
      (m) => {
        const e = m as CacheEvent;
        cacheTally.inc(e.event);
        if (e.event === 'clear' && e.reason === 'resync') resyncs.inc();
      },
    ],
    [
      CHANNELS.idp,
      (m) => {
        const e = m as IdpCallEvent;
        idpDuration.observe({ operation: e.operation, outcome: e.outcome }, e.durationMs / 1000);
        if (e.outcome === 'error') idpErrors.inc({ operation: e.operation });
        // A successful read of the IdP's M2M settings is a policy sync even when nothing changed.
        if (e.operation === 'policy' && e.outcome === 'ok') lastPolicySync = now();
      },
    ],
    [
      CHANNELS.revocation,
      (m) => {
        const e = m as RevocationEvent;
        revocations.inc({ action: e.action, source: e.source });
        if (e.source === 'reconcile' && e.action === 'revoke') reconcileRevocations.inc();
      },
    ],
    [
      CHANNELS.webhook,
      (m) => {
        const e = m as WebhookEvent;
        webhooks.inc({ receiver: e.receiver, outcome: e.outcome });
      },
    ],
    [
      CHANNELS.policy,
      () => {
        lastPolicySync = now();
      },
    ],
    [
      CHANNELS.tombstoneEviction,
      (m) => {
        tombstoneEvictions.inc((m as { evicted: number }).evicted);
      },
    ],
  ];
  for (const [name, handler] of handlers) diagnostics.subscribe(name, handler);

  return {
    registry,
    observeRequest(kind, decision, status) {
      requestTally.inc(kind, decision, statusClass(status));
    },
    observeUpstream(durationMs, status) {
      upstream.observe(statusText(status), durationMs / 1000);
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
    close() {
      for (const [name, handler] of handlers) diagnostics.unsubscribe(name, handler);
      registry.clear();
    },
  };
}

const STATUS_CLASSES = ['0xx', '1xx', '2xx', '3xx', '4xx', '5xx'];
const statusClass = (status: number): string =>
  STATUS_CLASSES[Math.floor(status / 100)] ?? `${Math.floor(status / 100)}xx`;
/** Status codes as label values, made once each. */
const statusTexts = new Map<number, string>();
function statusText(status: number): string {
  let text = statusTexts.get(status);
  if (text === undefined) {
    text = String(status);
    if (statusTexts.size < 1000) statusTexts.set(status, text);
  }
  return text;
}
