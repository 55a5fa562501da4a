/** Operator API / CLI selectors (docs/design.md §5): `{all:true}` or a combination of fields. */
import type { Selector } from '@portcullis/core';

const FIELDS = ['tenantId', 'userId', 'clientId', 'tokenId', 'credential'] as const;

/** Validate untrusted JSON into a `Selector`; throws `Error` with a message naming the problem. */
export function parseSelector(value: unknown): Selector {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error('selector must be a JSON object');
  }
  const input = value as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (key !== 'all' && !(FIELDS as readonly string[]).includes(key))
      throw new Error(`unknown selector field ${key}`);
  }
  if (input['all'] === true) {
    if (Object.keys(input).length !== 1) throw new Error('"all" cannot combine with other fields');
    return { all: true };
  }
  if (input['all'] !== undefined) throw new Error('"all" must be true');
  const out: Record<string, string> = {};
  for (const field of FIELDS) {
    const item = input[field];
    if (item === undefined) continue;
    if (typeof item !== 'string' || item === '' || item.length > 512)
      throw new Error(`${field} must be a non-empty string`);
    out[field] = item;
  }
  if (
    out['credential'] !== undefined &&
    out['credential'] !== 'client_credentials' &&
    out['credential'] !== 'access_token'
  ) {
    throw new Error('credential must be client_credentials or access_token');
  }
  if (Object.keys(out).length === 0)
    throw new Error('selector needs at least one field (or all: true)');
  return out;
}
