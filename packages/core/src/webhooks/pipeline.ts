/**
 * The one webhook answering pipeline every receiver shares (docs/design.md §5 "Answers"). A receiver
 * supplies only `verify` (authenticity: signature, timestamp, source) and `plan` (JSON body →
 * actions); size bound, JSON parsing, replay protection, applying actions and the answer codes
 * live here so the Standard Webhooks and provider receivers answer alike.
 *
 * | Situation                                            | Status | `body.code`                     |
 * | ---------------------------------------------------- | ------ | ------------------------------- |
 * | body over `maxBodyBytes` (checked before `verify`)   | 413    | ERR_WEBHOOK_BODY_TOO_LARGE      |
 * | `verify` throws a PortcullisError                    | its    | its code (e.g. 401, 403)        |
 * | not UTF-8 JSON, or `plan` throws                     | 400    | ERR_WEBHOOK_BODY_INVALID        |
 * | `plan` returns `actions: undefined` (unknown key)    | 202    | –                               |
 * | delivery id already remembered                       | 200    | – (`replayed: true`)            |
 * | every action resolved and the id was remembered      | 200    | –                               |
 * | an action failed with a 503-class error (store)      | 503    | the action's code               |
 * | replay guard unreachable (`seen` or `remember`)      | 503    | ERR_STORE_UNAVAILABLE           |
 *
 * When `seen` fails, actions that can only deny (revoke, invalidate, lock, disable) are still
 * applied locally before the 503, so a revocation never waits for the shared store.
 * | an action failed otherwise                           | 500    | the code, or ERR_INTERNAL       |
 *
 * The id is remembered only after every action succeeded, so a 5xx delivery is applied again when
 * the sender retries (actions are idempotent). Every answer publishes the `webhook` diagnostics
 * channel with `outcome` `applied`, `replayed`, `ignored` or the error code.
 */
import { invalidOption, isPortcullisError, PortcullisError } from '../errors.js';
import type { ErrorCode } from '../errors.js';
import { publish } from '../diagnostics.js';
import type { AuthenticatorActions } from '../provider.js';
import type { Logger, PolicyObservation, Selector } from '../types.js';
import type { WebhookReceiver, WebhookRequest, WebhookResponse } from '../webhook-types.js';
import type { ReplayGuard } from './replay-guard.js';

/** One thing a webhook makes the authenticator do. */
export type WebhookAction =
  | { readonly kind: 'revoke'; readonly selector: Selector }
  | { readonly kind: 'invalidate'; readonly selector: Selector }
  | { readonly kind: 'lock'; readonly userId: string }
  | { readonly kind: 'unlock'; readonly userId: string }
  | { readonly kind: 'policy'; readonly observation: PolicyObservation }
  /** Escape hatch for provider logic that needs IdP calls (e.g. listing a tenant's API tokens). */
  | {
      readonly kind: 'custom';
      readonly name: string;
      /** True when the action can only deny access (e.g. revocations); applied even when the replay store is down. */
      readonly narrowsOnly?: boolean;
      run(actions: AuthenticatorActions): Promise<void>;
    };

/** What a receiver's `plan` makes of a parsed body. */
export interface WebhookPlan {
  /** The event key, for the answer, logs and diagnostics. */
  readonly eventKey: string;
  /** Applied in order. `undefined`: the receiver does not handle this key (answered 202). */
  readonly actions: readonly WebhookAction[] | undefined;
}

/** What `verify` learned about an authentic delivery. */
export interface VerifiedDelivery {
  /** The sender's delivery id, when the scheme has one: enables replay protection. */
  readonly id?: string;
}

/** Everything `createWebhookReceiver` needs; a provider receiver supplies `verify` and `plan`. */
export interface WebhookReceiverSpec {
  /** Receiver name (`standard`, `frontegg`); the policy source is `webhook:<name>`. */
  readonly name: string;
  /** Largest accepted body, in bytes. */
  readonly maxBodyBytes: number;
  readonly actions: AuthenticatorActions;
  /** Required when `verify` returns delivery ids. */
  readonly replay?: ReplayGuard;
  readonly logger?: Logger;
  /** Throw a PortcullisError (`ERR_WEBHOOK_SIGNATURE_INVALID`, `..._TIMESTAMP_STALE`, `..._SOURCE_FORBIDDEN`) to refuse. */
  verify(request: WebhookRequest, body: Uint8Array): VerifiedDelivery | Promise<VerifiedDelivery>;
  /** Map the parsed JSON body; throw `ERR_WEBHOOK_BODY_INVALID` for a wrong shape. */
  plan(payload: unknown): WebhookPlan;
}

const MAX_BODY_BYTES_LIMIT = 16 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Builds a `WebhookReceiver` around `spec`. Concurrent deliveries with the same id are answered
 * one after the other, so a duplicate sent while the first is still applying is seen as a replay.
 * Throws `ERR_INVALID_OPTION` for a bad spec.
 */
export function createWebhookReceiver(spec: WebhookReceiverSpec): WebhookReceiver {
  validateSpec(spec);
  const inFlight = new Map<string, Promise<unknown>>();
  return {
    name: spec.name,
    handle: (request) => runPipeline(request, spec, inFlight),
  };
}

/**
 * Answers one delivery with `spec` (the pipeline of `createWebhookReceiver`, without its
 * same-id serialisation). Never throws: every failure becomes an answer.
 */
export async function answerWebhook(
  request: WebhookRequest,
  spec: WebhookReceiverSpec,
): Promise<WebhookResponse> {
  return runPipeline(request, spec, undefined);
}

async function runPipeline(
  request: WebhookRequest,
  spec: WebhookReceiverSpec,
  inFlight: Map<string, Promise<unknown>> | undefined,
): Promise<WebhookResponse> {
  let eventKey: string | undefined;
  try {
    const body = boundedBody(request.body, spec.maxBodyBytes);
    const delivery = await spec.verify(request, body);
    const plan = spec.plan(parseJson(body));
    const key = plan.eventKey;
    eventKey = key;
    if (plan.actions === undefined) {
      return finish(spec, 202, 'ignored', key, { ok: true, message: 'event key not handled' });
    }
    const actions = plan.actions;
    const id = delivery.id;
    if (id === undefined || spec.replay === undefined) {
      await applyAll(spec, actions);
      return applied(spec, key);
    }
    const replay = spec.replay;
    return await serialised(inFlight, id, async () => {
      let seen: boolean;
      try {
        seen = await replay.seen(id);
      } catch (error) {
        // The replay store is unreachable. A replayed delivery can only deny when its actions
        // narrow access, so those are applied locally anyway (a revocation must not wait for
        // Redis); anything that could widen access waits for the retry. Either way: 503.
        await applyAll(spec, actions.filter(onlyNarrows)).catch(() => undefined);
        return guard(() => Promise.reject(error));
      }
      if (seen) {
        return finish(spec, 200, 'replayed', key, {
          ok: true,
          message: 'already applied',
          replayed: true,
        });
      }
      await applyAll(spec, actions);
      await guard(() => replay.remember(id));
      return applied(spec, key);
    });
  } catch (error) {
    return refused(spec, error, eventKey);
  }
}

async function serialised<T>(
  inFlight: Map<string, Promise<unknown>> | undefined,
  id: string,
  task: () => Promise<T>,
): Promise<T> {
  if (inFlight === undefined) return task();
  for (let previous = inFlight.get(id); previous !== undefined; previous = inFlight.get(id)) {
    await previous.catch(() => undefined);
  }
  const running = task();
  inFlight.set(id, running);
  try {
    return await running;
  } finally {
    if (inFlight.get(id) === running) inFlight.delete(id);
  }
}

function boundedBody(body: unknown, maxBytes: number): Uint8Array {
  if (typeof body === 'string') {
    // UTF-8 is never shorter than UTF-16 code units, so long strings are refused unmeasured.
    if (body.length > maxBytes || Buffer.byteLength(body, 'utf8') > maxBytes)
      throw tooLarge(maxBytes);
    return Buffer.from(body, 'utf8');
  }
  if (body instanceof Uint8Array) {
    if (body.byteLength > maxBytes) throw tooLarge(maxBytes);
    return body;
  }
  throw new PortcullisError('ERR_WEBHOOK_BODY_INVALID', 'the raw body must be bytes or a string');
}

function parseJson(body: Uint8Array): unknown {
  try {
    return JSON.parse(utf8.decode(body)) as unknown;
  } catch {
    throw new PortcullisError('ERR_WEBHOOK_BODY_INVALID', 'the body is not UTF-8 JSON');
  }
}

/** Applies every action, in order, even after one failed (revocations must land locally). */
async function applyAll(
  spec: WebhookReceiverSpec,
  actions: readonly WebhookAction[],
): Promise<void> {
  const source = `webhook:${spec.name}`;
  let failure: unknown;
  for (const action of actions) {
    try {
      await applyAction(spec.actions, action, source);
    } catch (error) {
      failure = worse(failure, error);
    }
  }
  if (failure !== undefined) throw new ActionFailed(failure);
}

function applyAction(
  actions: AuthenticatorActions,
  action: WebhookAction,
  source: string,
): Promise<void> {
  switch (action.kind) {
    case 'revoke':
      return actions.revoke(action.selector);
    case 'invalidate':
      return actions.invalidate(action.selector);
    case 'lock':
      return actions.lockUser(action.userId);
    case 'unlock':
      return actions.unlockUser(action.userId);
    case 'policy':
      return actions.applyPolicyEvent(action.observation, source);
    case 'custom':
      return action.run(actions);
  }
}

/** True for actions that can only deny access: safe to apply even when a replay cannot be ruled out. */
function onlyNarrows(action: WebhookAction): boolean {
  switch (action.kind) {
    case 'revoke':
    case 'invalidate':
    case 'lock':
      return true;
    case 'policy':
      return (
        action.observation.enabled === false && action.observation.acceptedCredentials === undefined
      );
    case 'custom':
      return action.narrowsOnly === true;
    case 'unlock':
      return false;
  }
}

/** A retryable (503-class) failure outranks the others: the sender should retry. */
function worse(current: unknown, next: unknown): unknown {
  if (current === undefined) return next;
  return isRetryable(current) ? current : isRetryable(next) ? next : current;
}

function isRetryable(error: unknown): boolean {
  return isPortcullisError(error) && error.status === 503;
}

/** Wraps an action's failure so it is not mistaken for a refusal of the request. */
class ActionFailed {
  constructor(readonly cause: unknown) {}
}

async function guard<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ActionFailed(
      isRetryable(error)
        ? error
        : new PortcullisError('ERR_STORE_UNAVAILABLE', 'the replay guard is unavailable', {
            cause: error,
          }),
    );
  }
}

function applied(spec: WebhookReceiverSpec, eventKey: string): WebhookResponse {
  return finish(spec, 200, 'applied', eventKey, { ok: true, message: 'applied' });
}

function refused(
  spec: WebhookReceiverSpec,
  error: unknown,
  eventKey: string | undefined,
): WebhookResponse {
  if (error instanceof ActionFailed) {
    const cause = error.cause;
    if (isRetryable(cause)) {
      const code = (cause as PortcullisError).code;
      spec.logger?.warn(
        { receiver: spec.name, eventKey, code },
        'webhook applied locally, store failed',
      );
      return finish(spec, 503, code, eventKey, {
        ok: false,
        code,
        message: 'the event could not be stored; retry later',
      });
    }
    const code: ErrorCode = isPortcullisError(cause) ? cause.code : 'ERR_INTERNAL';
    spec.logger?.error({ receiver: spec.name, eventKey, code }, 'webhook action failed');
    return finish(spec, 500, code, eventKey, {
      ok: false,
      code,
      message: 'the event could not be applied',
    });
  }
  if (isPortcullisError(error)) {
    spec.logger?.warn({ receiver: spec.name, eventKey, code: error.code }, 'webhook refused');
    return finish(spec, error.status, error.code, eventKey, {
      ok: false,
      code: error.code,
      message: error.message,
    });
  }
  // A bug in verify or plan: fail closed without echoing it.
  spec.logger?.error(
    { receiver: spec.name, eventKey, code: 'ERR_INTERNAL' },
    'webhook receiver failed',
  );
  return finish(spec, 500, 'ERR_INTERNAL', eventKey, {
    ok: false,
    code: 'ERR_INTERNAL',
    message: 'internal error',
  });
}

function finish(
  spec: WebhookReceiverSpec,
  status: number,
  outcome: string,
  eventKey: string | undefined,
  body: Omit<WebhookResponse['body'], 'event'>,
): WebhookResponse {
  publish('webhook', () => ({
    receiver: spec.name,
    status,
    outcome,
    ...(eventKey === undefined ? {} : { eventKey }),
  }));
  return { status, body: eventKey === undefined ? body : { ...body, event: eventKey } };
}

function tooLarge(maxBytes: number): PortcullisError {
  return new PortcullisError(
    'ERR_WEBHOOK_BODY_TOO_LARGE',
    `the body is larger than ${maxBytes} bytes`,
  );
}

function validateSpec(spec: WebhookReceiverSpec): void {
  if (typeof spec.name !== 'string' || !/^[a-z0-9-]+$/.test(spec.name)) {
    invalidOption('webhooks.name', 'must be lower-case letters, digits or dashes');
  }
  if (
    !Number.isInteger(spec.maxBodyBytes) ||
    spec.maxBodyBytes <= 0 ||
    spec.maxBodyBytes > MAX_BODY_BYTES_LIMIT
  ) {
    invalidOption(
      'webhooks.maxBodyBytes',
      `must be an integer from 1 to ${MAX_BODY_BYTES_LIMIT} (bytes)`,
    );
  }
  const actions = spec.actions as Partial<AuthenticatorActions> | undefined;
  if (
    typeof actions !== 'object' ||
    actions === null ||
    typeof actions.revoke !== 'function' ||
    typeof actions.invalidate !== 'function' ||
    typeof actions.applyPolicyEvent !== 'function'
  ) {
    invalidOption('webhooks.actions', 'must be the authenticator actions');
  }
  if (
    spec.replay !== undefined &&
    (typeof spec.replay.seen !== 'function' || typeof spec.replay.remember !== 'function')
  ) {
    invalidOption('webhooks.replay', 'must have seen() and remember()');
  }
  if (typeof spec.verify !== 'function' || typeof spec.plan !== 'function') {
    invalidOption('webhooks', 'verify and plan must be functions');
  }
}
