/** Bounds for honouring an IdP's `Retry-After`: anything outside is replaced by the default. */
const MAX_RETRY_AFTER_SEC = 300;
const DEFAULT_RETRY_AFTER_SEC = 1;

/**
 * Seconds to pass on as our own `Retry-After`, from the IdP's header (RFC 9110 §10.2.3:
 * delta-seconds or an HTTP-date). Values that are absent, unparsable, in the past or above
 * 300 s are replaced by 1, so a misbehaving IdP cannot tell our clients to go away for a day.
 */
export function retryAfterSecFrom(header: string | string[] | undefined, nowMs: number): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return DEFAULT_RETRY_AFTER_SEC;
  const trimmed = value.trim();
  let seconds: number;
  if (/^\d{1,10}$/.test(trimmed)) {
    seconds = Number(trimmed);
  } else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_SEC;
    seconds = Math.ceil((at - nowMs) / 1000);
  }
  if (seconds < 1 || seconds > MAX_RETRY_AFTER_SEC) return DEFAULT_RETRY_AFTER_SEC;
  return seconds;
}
