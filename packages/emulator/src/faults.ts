import type { RouteGroup } from './http/router.js';

export const FAULT_GROUPS = [
  'vendor',
  'identity',
  'exchange',
  'vendor-only',
  'jwks',
  'configurations',
  'oauth',
  'all',
] as const;
export type FaultGroup = (typeof FAULT_GROUPS)[number];

export const FAULT_MODES = ['5xx', 'hang', 'reset', 'down', 'latency'] as const;
export type FaultMode = (typeof FAULT_MODES)[number];

export interface Fault {
  readonly group: FaultGroup;
  readonly mode: FaultMode;
  readonly latencyMs: number;
}

/**
 * Faults injected by tests through `/_emulator/faults`. The `identity` group also covers the
 * webhook management routes; `admin` routes are never faulted so a test can always reset.
 */
export class FaultTable {
  private readonly faults = new Map<FaultGroup, Fault>();

  set(fault: Fault): void {
    this.faults.set(fault.group, fault);
  }

  reset(): void {
    this.faults.clear();
  }

  list(): Fault[] {
    return [...this.faults.values()];
  }

  /** The fault that applies to a route group (a group's own fault wins over `all`). */
  forGroup(group: RouteGroup | undefined): Fault | undefined {
    if (group === 'admin') return undefined;
    const own = group === undefined ? undefined : this.faults.get(faultGroupOf(group));
    return own ?? this.faults.get('all');
  }
}

function faultGroupOf(group: Exclude<RouteGroup, 'admin'>): FaultGroup {
  return group === 'webhooks' ? 'identity' : group;
}
