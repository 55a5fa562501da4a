/**
 * Makes `ready()` settle: it rejects with a `PortcullisError` naming the cause as soon as the
 * cause is final (the IdP refused our own credentials: waiting cannot help) and after
 * `readyTimeoutMs` at the latest (IdP down, wrong URL) — instead of a promise that never settles
 * and a process that exits 13 with no output.
 */
import { isPortcullisError, PortcullisError } from '../errors.js';

/** Codes after which retrying the policy read cannot succeed until the operator acts. */
const FINAL_CODES = new Set<string>(['ERR_IDP_AUTH_REFUSED']);

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  return 'no answer from the identity provider yet';
}

export class ReadyDeadline {
  readonly #timeoutMs: number;
  #lastError: unknown;
  readonly #waiters = new Set<(error: PortcullisError) => void>();

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Outcome of one policy read. A final failure rejects every waiting `ready()` at once. */
  recordRead(ok: boolean, error?: unknown): void {
    this.#lastError = ok ? undefined : error;
    const final = this.#finalError();
    if (final === undefined) return;
    for (const fail of this.#waiters) fail(final);
  }

  /** Rejects every waiting `ready()` (the authenticator was closed). */
  abort(error: PortcullisError): void {
    for (const fail of this.#waiters) fail(error);
  }

  /**
   * `ready` bounded by the deadline. `known` says whether readiness is already decided, in which
   * case `ready` is returned as is. The timer is not unref'd on purpose: `await ready()` alone
   * must keep the process alive until it settles.
   */
  wait(ready: Promise<void>, known: boolean): Promise<void> {
    if (known) return ready;
    const final = this.#finalError();
    if (final !== undefined) return Promise.reject(final);
    return new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(fail);
      };
      const fail = (error: PortcullisError): void => {
        settle();
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(
          new PortcullisError(
            'ERR_POLICY_UNKNOWN',
            `not ready after ${this.#timeoutMs} ms: the M2M policy is still unknown (${describe(this.#lastError)})`,
            this.#lastError === undefined ? {} : { cause: this.#lastError },
          ),
        );
      }, this.#timeoutMs);
      this.#waiters.add(fail);
      ready.then(() => {
        settle();
        resolve();
      }, fail);
    });
  }

  #finalError(): PortcullisError | undefined {
    const error = this.#lastError;
    if (!isPortcullisError(error) || !FINAL_CODES.has(error.code)) return undefined;
    return new PortcullisError(error.code, `not ready: ${error.message}`, { cause: error });
  }
}
