/**
 * A cheap estimate of a cached principal's heap footprint, for lru-cache's `maxSize`. Runs once per
 * cache write (a miss), never on a hit. Over-estimating is fine; unbounded growth is not.
 */
import type { Principal } from '../types.js';

/** Fixed cost of a cache entry: the entry object, the principal object, lru-cache slots, key. */
const ENTRY_OVERHEAD_BYTES = 400;
/** Per string: header plus UTF-16 code units. */
const STRING_OVERHEAD_BYTES = 16;
/** Nested claim values deeper than this are charged a flat amount instead of walked. */
const MAX_CLAIM_DEPTH = 4;
const DEEP_VALUE_BYTES = 256;

export function estimatePrincipalBytes(principal: Principal): number {
  let bytes = ENTRY_OVERHEAD_BYTES;
  bytes += stringBytes(principal.subject);
  bytes += stringBytes(principal.clientId);
  bytes += stringBytes(principal.tokenId);
  bytes += stringBytes(principal.tenantId);
  bytes += stringBytes(principal.userId);
  bytes += stringBytes(principal.createdByUserId);
  bytes += stringBytes(principal.issuer);
  bytes += listBytes(principal.permissions);
  bytes += listBytes(principal.roles);
  bytes += listBytes(principal.scopes);
  bytes += valueBytes(principal.claims, 0);
  return bytes;
}

/** Size charged for a negative entry (an error code and message). */
export const NEGATIVE_ENTRY_BYTES = 512;

function stringBytes(value: string | undefined): number {
  return value === undefined ? 0 : STRING_OVERHEAD_BYTES + value.length * 2;
}

function listBytes(values: readonly string[]): number {
  let bytes = 16 + values.length * 8;
  for (const value of values) bytes += stringBytes(value);
  return bytes;
}

function valueBytes(value: unknown, depth: number): number {
  if (value === null || value === undefined) return 8;
  switch (typeof value) {
    case 'string':
      return stringBytes(value);
    case 'number':
    case 'boolean':
      return 8;
    case 'object': {
      if (depth >= MAX_CLAIM_DEPTH) return DEEP_VALUE_BYTES;
      let bytes = 32;
      if (Array.isArray(value)) {
        for (const item of value) bytes += 8 + valueBytes(item, depth + 1);
        return bytes;
      }
      for (const [k, v] of Object.entries(value)) {
        bytes += stringBytes(k) + valueBytes(v, depth + 1);
      }
      return bytes;
    }
    default:
      return 16;
  }
}
