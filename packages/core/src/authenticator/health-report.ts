/**
 * Assembles `health()` (docs/design.md §7): only start-up (policy, provider warm-up, shared state)
 * or a closed authenticator is unready.
 */
import type { ComponentHealth, HealthReport, PolicyState } from '../types.js';

export interface HealthInputs {
  readonly policy: PolicyState;
  readonly idp: ComponentHealth;
  /** Absent when no store is configured. */
  readonly store: ComponentHealth | undefined;
  readonly tombstones: ComponentHealth;
  readonly closed: boolean;
  /** What start-up is still loading besides the policy (e.g. `vendor token`); empty once loaded. */
  readonly loading: readonly string[];
}

export function buildHealthReport(inputs: HealthInputs): HealthReport {
  const components: Record<string, ComponentHealth> = {
    policy:
      inputs.policy.enabled === undefined
        ? { status: 'starting', detail: 'waiting for the first M2M policy read' }
        : {
            status: 'ok',
            detail: inputs.policy.enabled ? 'M2M enabled' : 'M2M disabled by the vendor',
          },
    idp: inputs.idp,
    tombstones: inputs.tombstones,
  };
  if (inputs.store !== undefined) components.store = inputs.store;
  if (inputs.loading.length > 0) {
    components.startup = { status: 'starting', detail: `loading ${inputs.loading.join(', ')}` };
  }
  if (inputs.closed) components.authenticator = { status: 'down', detail: 'closed' };

  const reasons: string[] = [];
  let degraded = false;
  for (const [name, health] of Object.entries(components)) {
    if (health.status === 'ok') continue;
    if (health.status === 'degraded' || health.status === 'down') degraded = true;
    reasons.push(`${name}: ${health.detail ?? health.status}`);
  }
  // An IdP or store outage must not drain every pod: the cache and local revocation keep working.
  const ready =
    !inputs.closed && inputs.policy.enabled !== undefined && inputs.loading.length === 0;
  return Object.freeze({
    ready,
    degraded,
    reasons: Object.freeze(reasons),
    components: Object.freeze(components),
  });
}
