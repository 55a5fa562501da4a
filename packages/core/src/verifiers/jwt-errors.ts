/**
 * jose's errors → Portcullis codes. Messages are our own: they name the claim or the check,
 * never the token or its values.
 */
import { PortcullisError, isPortcullisError } from '../errors.js';

interface JoseLikeError {
  readonly code?: unknown;
  readonly claim?: unknown;
  readonly reason?: unknown;
}

/** A claim failed a check (`ERR_TOKEN_CLAIM_INVALID`), naming it. */
export function claimInvalid(claim: string, reason: string): PortcullisError {
  return new PortcullisError('ERR_TOKEN_CLAIM_INVALID', `token claim "${claim}" ${reason}`, {
    details: { claim },
  });
}

/** Map whatever jose (or key handling) threw while verifying a token. PortcullisErrors pass through. */
export function mapJwtError(error: unknown): PortcullisError {
  if (isPortcullisError(error)) return error;
  const { code, claim, reason } = (error ?? {}) as JoseLikeError;
  switch (code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new PortcullisError('ERR_TOKEN_ALG_NOT_ALLOWED', 'token algorithm is not allowed', {
        cause: error,
      });
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new PortcullisError('ERR_TOKEN_SIGNATURE_INVALID', 'token signature is invalid', {
        cause: error,
      });
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return new PortcullisError(
        'ERR_TOKEN_SIGNATURE_INVALID',
        'no verification key matches the token',
        { cause: error },
      );
    case 'ERR_JWT_EXPIRED':
      return new PortcullisError('ERR_TOKEN_EXPIRED', 'token has expired', {
        cause: error,
        details: { claim: 'exp' },
      });
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const name = typeof claim === 'string' ? claim : 'unknown';
      if (name === 'nbf' && reason === 'check_failed') {
        return new PortcullisError('ERR_TOKEN_NOT_YET_VALID', 'token is not valid yet', {
          cause: error,
          details: { claim: 'nbf' },
        });
      }
      const problem =
        reason === 'missing'
          ? 'is required but missing'
          : reason === 'invalid'
            ? 'has an invalid type'
            : 'does not have the expected value';
      return claimInvalid(name, problem);
    }
    case 'ERR_JOSE_NOT_SUPPORTED':
      // Unknown `crit` is refused before jose runs, so here the token's alg does not fit the key.
      return new PortcullisError(
        'ERR_TOKEN_SIGNATURE_INVALID',
        'token does not match the verification key',
        { cause: error },
      );
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
    case 'ERR_JWK_INVALID':
    case 'ERR_JWKS_INVALID':
    case 'ERR_JOSE_GENERIC':
      return new PortcullisError('ERR_TOKEN_MALFORMED', 'token is malformed', { cause: error });
    default:
      // jose throws TypeError when the token's alg does not fit the key's type; it is the
      // token that does not match our key, so the signature cannot be valid.
      if (error instanceof TypeError) {
        return new PortcullisError(
          'ERR_TOKEN_SIGNATURE_INVALID',
          'token does not match the verification key',
          { cause: error },
        );
      }
      return new PortcullisError('ERR_TOKEN_MALFORMED', 'token could not be verified', {
        cause: error,
      });
  }
}
