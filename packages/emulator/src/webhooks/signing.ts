import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';

/** Lifetime of the `x-webhook-secret` JWT, seconds (short: it does not cover the body). */
export const WEBHOOK_JWT_TTL_SEC = 300;

/** HMAC algorithms Frontegg's `x-webhook-secret` may use: it documents only "jwt.verify". */
export const WEBHOOK_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export type WebhookAlgorithm = (typeof WEBHOOK_ALGORITHMS)[number];

/** Frontegg's `x-webhook-secret`: a JWT signed with the hook's secret (HS256 unless told). */
export async function fronteggWebhookJwt(
  secret: string,
  nowSec: number,
  alg: WebhookAlgorithm = 'HS256',
): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setIssuedAt(nowSec)
    .setExpirationTime(nowSec + WEBHOOK_JWT_TTL_SEC)
    .sign(new TextEncoder().encode(secret));
}

/** Decodes a `whsec_<base64>` Standard Webhooks secret; undefined when malformed. */
export function decodeStandardSecret(secret: string): Buffer | undefined {
  if (!secret.startsWith('whsec_')) return undefined;
  const encoded = secret.slice('whsec_'.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  const key = Buffer.from(encoded, 'base64');
  return key.length >= 24 && key.length <= 64 ? key : undefined;
}

/** Standard Webhooks headers: `v1,<base64 HMAC-SHA256(id.timestamp.body)>`. */
export function standardWebhookHeaders(
  key: Buffer,
  id: string,
  timestampSec: number,
  body: string,
): Record<string, string> {
  const signature = createHmac('sha256', key)
    .update(`${id}.${timestampSec}.${body}`)
    .digest('base64');
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': `v1,${signature}`,
  };
}
