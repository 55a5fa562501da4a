import type { KeyRing } from './keys.js';
import type { FaultTable } from './faults.js';
import type { StateData } from './state.js';
import type { WebhookDispatcher } from './webhooks/dispatcher.js';

/** What every route module works on: the state, the keys, the clock and the webhook queue. */
export interface EmulatorApp {
  readonly state: StateData;
  readonly keys: KeyRing;
  readonly faults: FaultTable;
  readonly webhooks: WebhookDispatcher;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** The app origin `http://host:port`, known once listening: the `iss` of every token. */
  url(): string;
  /**
   * Frontegg's strictness (default): required headers answer 400 when missing. `false` is the
   * `--lenient` mode kept for old scripts.
   */
  readonly strict: boolean;
  /** Lifetime of a vendor token, seconds (Frontegg: 1800). */
  readonly vendorTokenTtlSec: number;
  /** Default grace (ms) a rotated key stays published. */
  readonly keyGraceMs: number;
  readonly log: (line: string) => void;
}

export const nowIso = (app: EmulatorApp): string => new Date(app.now()).toISOString();
export const nowSec = (app: EmulatorApp): number => Math.floor(app.now() / 1000);
