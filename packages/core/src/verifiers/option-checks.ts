/** Construction-time checks shared by the verifiers and the oauth2 preset (ERR_INVALID_OPTION). */
import { invalidOption } from '../errors.js';
import { DEFAULT_IDP_MAX_BODY_BYTES, DEFAULT_IDP_TIMEOUT_MS } from '../http/idp-request.js';

/** A finite number ≥ `min` (default 0), or the default when undefined. */
export function numberOption(
  path: string,
  value: unknown,
  fallback: number,
  { min = 0, integer = false }: { min?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value))
    invalidOption(path, 'must be a finite number');
  if (integer && !Number.isInteger(value)) invalidOption(path, 'must be an integer');
  if (value < min) invalidOption(path, `must be at least ${min}`);
  return value;
}

/** An absolute http(s) URL without credentials or fragment. */
export function urlOption(path: string, value: unknown): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) invalidOption(path, 'must be a URL');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalidOption(path, 'must be an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    invalidOption(path, 'must be an http(s) URL');
  if (url.username !== '' || url.password !== '')
    invalidOption(path, 'must not contain credentials');
  if (url.hash !== '') invalidOption(path, 'must not contain a fragment');
  return url;
}

export function nonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    invalidOption(path, 'must be a non-empty string');
  return value;
}

/** A string, a non-empty list of strings, or `false` (an explicit opt-out). `undefined` is refused. */
export function expectedValues(path: string, value: unknown): readonly string[] | false {
  if (value === false) return false;
  if (typeof value === 'string' && value.length > 0) return Object.freeze([value]);
  if (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string' && item.length > 0)
  ) {
    return Object.freeze([...(value as string[])]);
  }
  return invalidOption(
    path,
    'is required: a non-empty string or list of strings, or false to explicitly skip the check',
  );
}

/** An optional string or list of strings, frozen as a list. */
export function stringList(path: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0) return Object.freeze([value]);
  if (Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0)) {
    return Object.freeze([...(value as string[])]);
  }
  return invalidOption(path, 'must be a non-empty string or a list of non-empty strings');
}

export function functionOption<T>(path: string, value: T | undefined): T | undefined {
  if (value !== undefined && typeof value !== 'function') invalidOption(path, 'must be a function');
  return value;
}

/** The options every IdP-calling verifier shares: its timeout, response bound and clock. */
export function idpCallOptions(options: {
  readonly timeoutMs?: number | undefined;
  readonly maxResponseBytes?: number | undefined;
  readonly now?: (() => number) | undefined;
}): { timeoutMs: number; maxBodyBytes: number; now: () => number } {
  return {
    timeoutMs: numberOption('timeoutMs', options.timeoutMs, DEFAULT_IDP_TIMEOUT_MS, { min: 1 }),
    maxBodyBytes: numberOption(
      'maxResponseBytes',
      options.maxResponseBytes,
      DEFAULT_IDP_MAX_BODY_BYTES,
      { min: 1, integer: true },
    ),
    now: functionOption('now', options.now) ?? Date.now,
  };
}
