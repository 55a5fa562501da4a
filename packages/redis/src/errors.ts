/** How Redis failures reach callers: one PortcullisError code, no Redis internals in the message. */
import { PortcullisError } from '@portcullis/core';

/**
 * `ERR_STORE_UNAVAILABLE` (503, Retry-After 1) for a failed store operation. The cause keeps only
 * the Redis error's message: ioredis attaches the command's arguments (keys, ids) to its errors,
 * and those must not reach logs through a serialised `cause`.
 */
export function storeUnavailable(operation: string, cause: unknown): PortcullisError {
  const reason = describeFailure(cause);
  return new PortcullisError('ERR_STORE_UNAVAILABLE', `redis ${operation} failed: ${reason}`, {
    cause: new Error(cause instanceof Error ? cause.message : String(cause)),
    retryAfterSec: 1,
  });
}

/** A short, secret-free reason for health details and error messages. */
export function describeFailure(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/timed out/i.test(message)) return 'timed out';
  if (
    /writeable|Connection is closed|not connected|ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|MaxRetriesPerRequest|aborted/i.test(
      message,
    )
  ) {
    return 'not connected';
  }
  // Cluster and Sentinel while a failover is in progress.
  if (
    /CLUSTERDOWN|TRYAGAIN|MOVED|\bASK\b|Too many Cluster redirections|slots cache|startup nodes|sentinels are unreachable|READONLY|LOADING|MASTERDOWN/.test(
      message,
    )
  ) {
    return 'failing over';
  }
  return 'command failed';
}

export function storeClosed(): PortcullisError {
  return new PortcullisError('ERR_CLOSED', 'the Redis store is closed');
}
