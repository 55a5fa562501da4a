/**
 * The M2M policy state of docs/design.md §1: pins from options, the provider's settings source polled and
 * re-read on demand, events applied at once, newest version wins across replicas.
 * The manager owns the state; the authenticator reacts to transitions (cache clearing, store).
 */
import { CREDENTIAL_KINDS } from '../types.js';
import type { CredentialKind, Logger, PolicyObservation, PolicyState } from '../types.js';
import { publish } from '../diagnostics.js';
import { PortcullisError } from '../errors.js';
import { normalizeObservation } from './observation.js';
import { isNewerVersion } from './version.js';

export interface PolicyPins {
  readonly enabled?: boolean | undefined;
  readonly acceptedCredentials?: readonly CredentialKind[] | undefined;
}

export interface PolicyManagerOptions {
  readonly pins: PolicyPins;
  /** The provider's settings source; absent → start enabled with every kind (events rule). */
  readonly readPolicy: ((signal: AbortSignal) => Promise<PolicyObservation>) | undefined;
  readonly syncIntervalMs: number;
  readonly timeoutMs: number;
  readonly originId: string;
  readonly now: () => number;
  readonly logger: Logger;
  /** The effective (pinned) state changed. */
  readonly onTransition: (previous: PolicyState, next: PolicyState, source: string) => void;
  /** A local observation changed the shared (unpinned) state: store and publish it. */
  readonly onLocalChange: (observed: PolicyState, source: string) => void;
  /**
   * The shared (unpinned) state went from disabled to enabled. Even when a pin kept the effective
   * state enabled, the IdP refused credentials meanwhile: their negative answers must go.
   */
  readonly onReenabled: (source: string) => void;
  /** The IdP reported its longest token lifetime. */
  readonly onMaxTokenLifetime: (seconds: number) => void;
  /** Outcome of each settings read (IdP health, `ready()`); `error` is the failed read's. */
  readonly onRead: (ok: boolean, error?: unknown) => void;
}

export class PolicyManager {
  readonly #options: PolicyManagerOptions;
  /** What the sources say, shared with other replicas. */
  #observed: PolicyState;
  /** What is enforced: `#observed` with the pins applied. */
  #effective: PolicyState;
  readonly #listeners = new Set<(state: PolicyState) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #reading: Promise<void> | undefined;
  #readAgain = false;
  #closed = false;
  readonly #abort = new AbortController();
  #resolveReady: (() => void) | undefined;
  readonly #ready: Promise<void>;

  constructor(options: PolicyManagerOptions) {
    this.#options = options;
    const noSource = options.readPolicy === undefined;
    this.#observed = Object.freeze({
      enabled: noSource ? true : undefined,
      acceptedCredentials: CREDENTIAL_KINDS,
      // Version 0: any stored or published observation is newer.
      version: Object.freeze({ at: 0, origin: '' }),
    });
    this.#effective = this.#pinned(this.#observed);
    this.#ready = new Promise<void>((resolve) => {
      this.#resolveReady = resolve;
    });
    this.#checkReady();
  }

  /** The enforced state. Cheap: returns the same frozen object until a change. */
  current(): PolicyState {
    return this.#effective;
  }

  /** The shared state (before pins), as stored and published. */
  observed(): PolicyState {
    return this.#observed;
  }

  /** True once `enabled` is known (read, pin, event or store). */
  known(): boolean {
    return this.#effective.enabled !== undefined;
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  onChange(listener: (state: PolicyState) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Starts the poll (unref'd) and the first read. */
  start(): void {
    if (this.#options.readPolicy === undefined || this.#closed) return;
    this.#timer = setInterval(() => {
      void this.refresh();
    }, this.#options.syncIntervalMs);
    this.#timer.unref();
    void this.refresh();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#abort.abort();
  }

  /**
   * A local observation (IdP read, event, provider report). It always counts as the newest thing
   * this replica knows, so its version is at least one ms after the current one.
   * Returns true when the shared state changed.
   */
  observe(input: PolicyObservation, source: string): boolean {
    const observation = normalizeObservation(input);
    if (observation.maxTokenLifetimeSec !== undefined) {
      this.#options.onMaxTokenLifetime(observation.maxTokenLifetimeSec);
    }
    const current = this.#observed;
    const enabled = observation.enabled ?? current.enabled;
    const accepted = observation.acceptedCredentials ?? current.acceptedCredentials;
    const unchanged =
      enabled === current.enabled &&
      sameKinds(accepted, current.acceptedCredentials) &&
      current.version.at !== 0;
    if (unchanged) return false;
    if (enabled === undefined) {
      // Still unknown (e.g. only a strategy was observed): remember it, but never share an
      // unknown state, which could overwrite a known one elsewhere.
      this.#setObserved(
        Object.freeze({
          enabled,
          acceptedCredentials: Object.freeze(normalizeKinds(accepted)),
          version: current.version,
        }),
        source,
      );
      return false;
    }
    const at = Math.max(this.#options.now(), current.version.at + 1);
    const next: PolicyState = Object.freeze({
      enabled,
      acceptedCredentials: Object.freeze(normalizeKinds(accepted)),
      version: Object.freeze({ at, origin: this.#options.originId }),
    });
    this.#setObserved(next, source);
    this.#options.onLocalChange(next, source);
    return true;
  }

  /** A state from another replica or the store: applied only when newer. Never re-published. */
  applyShared(state: PolicyState, source: string): boolean {
    if (state.enabled === undefined) return false;
    if (!isNewerVersion(state.version, this.#observed.version)) return false;
    this.#setObserved(
      Object.freeze({
        enabled: state.enabled,
        acceptedCredentials: Object.freeze(normalizeKinds(state.acceptedCredentials)),
        version: Object.freeze({ at: state.version.at, origin: state.version.origin }),
      }),
      source,
    );
    return true;
  }

  /**
   * Re-reads the provider's settings now. A request during a read schedules one more read, so an
   * event that arrived mid-read is confirmed by a read that started after it.
   */
  refresh(): Promise<void> {
    const read = this.#options.readPolicy;
    if (read === undefined || this.#closed) return Promise.resolve();
    if (this.#reading !== undefined) {
      this.#readAgain = true;
      return this.#reading;
    }
    this.#reading = (async () => {
      try {
        do {
          this.#readAgain = false;
          await this.#readOnce(read);
        } while (this.#readAgain && !this.#closed);
      } finally {
        this.#reading = undefined;
      }
    })();
    return this.#reading;
  }

  async #readOnce(read: (signal: AbortSignal) => Promise<PolicyObservation>): Promise<void> {
    const controller = new AbortController();
    const onClose = (): void => controller.abort();
    this.#abort.signal.addEventListener('abort', onClose, { once: true });
    const timer = setTimeout(() => controller.abort(), this.#options.timeoutMs);
    timer.unref();
    // A provider that ignores its signal must not stall the poll for good.
    const aborted = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        'abort',
        () =>
          reject(
            new PortcullisError(
              'ERR_IDP_UNAVAILABLE',
              `reading the M2M policy timed out after ${this.#options.timeoutMs} ms`,
            ),
          ),
        { once: true },
      );
    });
    try {
      const observation = await Promise.race([read(controller.signal), aborted]);
      if (this.#closed) return;
      this.observe(observation, 'idp');
      this.#options.onRead(true);
    } catch (error) {
      if (this.#closed) return;
      this.#options.onRead(false, error);
      this.#options.logger.warn(
        { err: describeError(error), known: this.known() },
        'portcullis: reading the M2M policy from the identity provider failed',
      );
    } finally {
      clearTimeout(timer);
      this.#abort.signal.removeEventListener('abort', onClose);
    }
  }

  #setObserved(next: PolicyState, source: string): void {
    const reenabled = this.#observed.enabled === false && next.enabled === true;
    this.#observed = next;
    if (reenabled) this.#options.onReenabled(source);
    const previous = this.#effective;
    const effective = this.#pinned(next);
    const changed =
      effective.enabled !== previous.enabled ||
      !sameKinds(effective.acceptedCredentials, previous.acceptedCredentials);
    this.#effective = effective;
    this.#checkReady();
    if (!changed) return;
    publish('policy', () => ({
      enabled: effective.enabled,
      acceptedCredentials: effective.acceptedCredentials,
      versionAt: effective.version.at,
      source,
    }));
    this.#options.logger.info(
      {
        enabled: effective.enabled,
        acceptedCredentials: effective.acceptedCredentials,
        source,
      },
      'portcullis: M2M policy changed',
    );
    this.#options.onTransition(previous, effective, source);
    for (const listener of this.#listeners) {
      try {
        listener(effective);
      } catch (error) {
        this.#options.logger.error(
          { err: describeError(error) },
          'portcullis: a policy onChange listener threw',
        );
      }
    }
  }

  #pinned(observed: PolicyState): PolicyState {
    const pins = this.#options.pins;
    if (pins.enabled === undefined && pins.acceptedCredentials === undefined) return observed;
    return Object.freeze({
      enabled: pins.enabled ?? observed.enabled,
      acceptedCredentials: pins.acceptedCredentials ?? observed.acceptedCredentials,
      version: observed.version,
    });
  }

  #checkReady(): void {
    if (this.#resolveReady !== undefined && this.known()) {
      this.#resolveReady();
      this.#resolveReady = undefined;
    }
  }
}

/** Stable order and no duplicates, so comparisons are cheap. */
function normalizeKinds(kinds: readonly CredentialKind[]): CredentialKind[] {
  return CREDENTIAL_KINDS.filter((kind) => kinds.includes(kind));
}

function sameKinds(a: readonly CredentialKind[], b: readonly CredentialKind[]): boolean {
  if (a === b) return true;
  const na = normalizeKinds(a);
  const nb = normalizeKinds(b);
  return na.length === nb.length && na.every((kind, i) => kind === nb[i]);
}

function describeError(error: unknown): { code?: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? { code, message: error.message } : { message: error.message };
  }
  return { message: String(error) };
}
