/**
 * `Authorization` header grammar: RFC 9110 §11.4 credentials, RFC 7617 Basic, RFC 6750 Bearer.
 * Every failure is `ERR_MALFORMED_CREDENTIAL`; messages never echo the value.
 */
import { PortcullisError } from '../errors.js';
import type { ExtractedCredential } from '../types.js';
import { trimOws } from './ows.js';

// RFC 9110: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+)(?: +(.*))?$/s;
// RFC 6750 §2.1 b64token (= RFC 9110 token68).
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
// Strict base64 (RFC 4648 §4) with padding.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 7617 §2: user-id and password MUST NOT contain control characters.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(message: string): PortcullisError {
  return new PortcullisError('ERR_MALFORMED_CREDENTIAL', message);
}

/** Parse one `Authorization` value into a Basic or Bearer credential. */
export function parseAuthorization(value: string): ExtractedCredential {
  const match = CREDENTIALS.exec(trimOws(value));
  if (match === null) throw malformed('Authorization header is not a valid credential');
  const scheme = (match[1] ?? '').toLowerCase();
  const param = match[2] ?? '';
  if (scheme === 'bearer') return parseBearer(param);
  if (scheme === 'basic') return parseBasic(param);
  throw malformed('Authorization scheme is not supported (use Bearer or Basic)');
}

function parseBearer(param: string): ExtractedCredential {
  if (!TOKEN68.test(param)) {
    throw malformed('Bearer credential must be a single token68 value (RFC 6750 §2.1)');
  }
  return { form: 'bearer', token: param };
}

function parseBasic(param: string): ExtractedCredential {
  if (param.length === 0 || !BASE64.test(param)) {
    throw malformed('Basic credential must be base64 (RFC 7617)');
  }
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(param, 'base64'));
  } catch {
    throw malformed('Basic credential is not valid UTF-8 (RFC 7617)');
  }
  // The client id cannot contain a colon; the secret may (RFC 7617 §2).
  const colon = decoded.indexOf(':');
  if (colon < 0) throw malformed('Basic credential must be client-id:secret (RFC 7617)');
  const clientId = decoded.slice(0, colon);
  const secret = decoded.slice(colon + 1);
  if (clientId.length === 0) throw malformed('Basic credential has an empty client id');
  if (secret.length === 0) throw malformed('Basic credential has an empty secret');
  if (CONTROL.test(clientId) || CONTROL.test(secret)) {
    throw malformed('Basic credential contains control characters (RFC 7617)');
  }
  return { form: 'basic', clientId, secret };
}
