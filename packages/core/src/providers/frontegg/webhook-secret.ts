/**
 * Authenticity of a Frontegg webhook delivery: header `x-webhook-secret` is a JWT signed with the
 * hook's secret (frontegg-wire.md §7, docs.frontegg.com/docs/webhooks-authentication). It does not
 * cover the body and Frontegg documents no claims, so freshness is checked only when present.
 * Frontegg documents only "verify with jwt.verify and the secret", so every HMAC algorithm is
 * accepted; `none` and asymmetric algorithms never are (frontegg-api-facts.md "Webhooks").
 */
import { errors as joseErrors, jwtVerify } from 'jose';
import { PortcullisError } from '../../errors.js';

export interface WebhookSecretCheck {
  /** Secrets of the hook; each is tried (rotation). */
  readonly secretKeys: readonly Uint8Array[];
  /** Oldest accepted `iat`, in seconds. */
  readonly maxAgeSec: number;
  /** Allowed clock skew for `iat` in the future and for `exp`, in seconds. */
  readonly clockToleranceSec: number;
  /** Epoch milliseconds. */
  readonly now: number;
}

const MAX_HEADER_CHARS = 4096;
/** The HMAC algorithms a shared secret can sign with. */
export const WEBHOOK_ALGORITHMS: readonly string[] = Object.freeze(['HS256', 'HS384', 'HS512']);

/** Encodes configured secrets once, at construction. */
export function encodeSecrets(secrets: readonly string[]): readonly Uint8Array[] {
  const encoder = new TextEncoder();
  return Object.freeze(secrets.map((secret) => encoder.encode(secret)));
}

/**
 * Verifies the header value. Throws ERR_WEBHOOK_SIGNATURE_INVALID (missing, malformed, wrong
 * secret, not HS256/HS384/HS512) or ERR_WEBHOOK_TIMESTAMP_STALE (expired, `iat` too old or in the future).
 */
export async function verifyWebhookSecret(
  header: string | undefined,
  check: WebhookSecretCheck,
): Promise<void> {
  if (header === undefined || header === '' || header.length > MAX_HEADER_CHARS) {
    throw signatureInvalid('missing or oversized x-webhook-secret header');
  }
  let payload: Record<string, unknown> | undefined;
  for (const key of check.secretKeys) {
    try {
      // Claims are checked below with our own clock; jose checks the HMAC signature here.
      const verified = await jwtVerify(header, key, {
        algorithms: [...WEBHOOK_ALGORITHMS],
        currentDate: new Date(check.now),
        clockTolerance: check.clockToleranceSec,
      });
      payload = verified.payload;
      break;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new PortcullisError(
          'ERR_WEBHOOK_TIMESTAMP_STALE',
          'the webhook signature has expired',
        );
      }
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new PortcullisError(
          'ERR_WEBHOOK_TIMESTAMP_STALE',
          'the webhook signature is not valid yet',
        );
      }
      // Wrong secret or malformed: try the next secret.
    }
  }
  if (payload === undefined) throw signatureInvalid('the webhook signature is invalid');
  checkIssuedAt(payload['iat'], check);
}

function checkIssuedAt(iat: unknown, check: WebhookSecretCheck): void {
  // A header without `iat` is accepted: Frontegg documents no claims (the weakness is in the docs).
  if (iat === undefined) return;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw signatureInvalid('the webhook signature has a malformed iat');
  }
  const nowSec = check.now / 1000;
  if (iat > nowSec + check.clockToleranceSec) {
    throw new PortcullisError(
      'ERR_WEBHOOK_TIMESTAMP_STALE',
      'the webhook signature is from the future',
    );
  }
  if (nowSec - iat > check.maxAgeSec + check.clockToleranceSec) {
    throw new PortcullisError('ERR_WEBHOOK_TIMESTAMP_STALE', 'the webhook signature is too old');
  }
}

function signatureInvalid(message: string): PortcullisError {
  return new PortcullisError('ERR_WEBHOOK_SIGNATURE_INVALID', message);
}
