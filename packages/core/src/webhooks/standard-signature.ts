/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Verifying webhook
 * authenticity"): `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
 * where the key is the base64 part of a `whsec_` secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { invalidOption, PortcullisError } from '../errors.js';
import type { HeadersLike } from '../types.js';
import { readSingleHeader } from '../credentials/headers.js';

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MIN_SECRET_BYTES = 24;
const MESSAGE_ID = /^[\x21-\x7e]{1,256}$/;
const TIMESTAMP = /^[0-9]{1,12}$/;
const MAX_SIGNATURE_HEADER_CHARS = 4096;
const MAX_SIGNATURES = 32;
const DIGEST_BYTES = 32;

/** A verified delivery: the id (for replay protection) and its timestamp in epoch seconds. */
export interface StandardDelivery {
  readonly id: string;
  readonly timestampSec: number;
}

/**
 * Decodes a `whsec_<base64>` secret (at least 24 bytes, as the spec recommends).
 * Throws `ERR_INVALID_OPTION` naming `path`; the message never contains the secret.
 */
export function decodeStandardSecret(secret: unknown, path: string): Buffer {
  if (typeof secret !== 'string' || !secret.startsWith(SECRET_PREFIX)) {
    invalidOption(path, `must be a string starting with ${SECRET_PREFIX}`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded)) invalidOption(path, `must be ${SECRET_PREFIX} followed by base64`);
  const key = Buffer.from(encoded, 'base64');
  if (key.length < MIN_SECRET_BYTES) {
    invalidOption(path, `must decode to at least ${MIN_SECRET_BYTES} bytes`);
  }
  return key;
}

/** The `v1,<base64>` signature of a delivery (for senders and tests). */
export function signStandardWebhook(
  secret: string,
  id: string,
  timestampSec: number,
  body: Uint8Array | string,
): string {
  const key = decodeStandardSecret(secret, 'secret');
  return `v1,${digest(key, id, String(timestampSec), toBytes(body)).toString('base64')}`;
}

/**
 * Checks the three Standard Webhooks headers against `body` (the raw bytes).
 * Timestamp first (cheap), then every `v1` signature in the header against every key (rotation),
 * compared in constant time.
 *
 * @throws PortcullisError `ERR_WEBHOOK_TIMESTAMP_STALE` when the timestamp is more than
 *   `toleranceSec` away from `nowMs` in either direction; `ERR_WEBHOOK_SIGNATURE_INVALID` for
 *   missing or malformed headers, or no matching signature.
 */
export function verifyStandardSignature(
  headers: HeadersLike,
  body: Uint8Array,
  keys: readonly Uint8Array[],
  toleranceSec: number,
  nowMs: number,
): StandardDelivery {
  const id = readSingleHeader(headers, 'webhook-id');
  const timestamp = readSingleHeader(headers, 'webhook-timestamp');
  const signatures = readSingleHeader(headers, 'webhook-signature');
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw invalid('webhook-id, webhook-timestamp and webhook-signature must each be sent once');
  }
  if (!MESSAGE_ID.test(id)) throw invalid('webhook-id is malformed');
  if (!TIMESTAMP.test(timestamp)) throw invalid('webhook-timestamp must be integer seconds');
  const timestampSec = Number(timestamp);
  if (Math.abs(Math.floor(nowMs / 1000) - timestampSec) > toleranceSec) {
    throw new PortcullisError(
      'ERR_WEBHOOK_TIMESTAMP_STALE',
      `webhook-timestamp is more than ${toleranceSec} s away from the receiver's clock`,
    );
  }
  if (signatures.length > MAX_SIGNATURE_HEADER_CHARS)
    throw invalid('webhook-signature is too long');
  const candidates = parseSignatures(signatures);
  if (candidates.length > 0) {
    for (const key of keys) {
      const expected = digest(key, id, timestamp, body);
      if (candidates.some((candidate) => timingSafeEqual(candidate, expected))) {
        return { id, timestampSec };
      }
    }
  }
  throw invalid('no webhook-signature matches');
}

/** The decoded `v1` signatures of the header; other versions (e.g. `v1a`) are ignored. */
function parseSignatures(header: string): Buffer[] {
  const entries = header.split(' ').filter((entry) => entry.length > 0);
  if (entries.length > MAX_SIGNATURES) throw invalid('webhook-signature has too many entries');
  const found: Buffer[] = [];
  for (const entry of entries) {
    const comma = entry.indexOf(',');
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
    const encoded = entry.slice(comma + 1);
    if (!BASE64.test(encoded)) continue;
    const signature = Buffer.from(encoded, 'base64');
    // timingSafeEqual needs equal lengths; a wrong length can never match.
    if (signature.length === DIGEST_BYTES) found.push(signature);
  }
  return found;
}

function digest(key: Uint8Array, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function invalid(message: string): PortcullisError {
  return new PortcullisError('ERR_WEBHOOK_SIGNATURE_INVALID', message);
}
