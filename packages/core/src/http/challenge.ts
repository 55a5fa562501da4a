/** `WWW-Authenticate` challenges (RFC 6750 §3, RFC 7617 §2, RFC 9110 §11.6.1). */
import type { OAuthErrorCode } from '../errors.js';

/** What a challenge says. */
export interface ChallengeOptions {
  readonly realm: string;
  /** RFC 6750 §3.1 error code; omitted when no credential was sent (§3.1 last paragraph). */
  readonly error?: OAuthErrorCode;
  /** Human-readable `error_description`; only sent together with `error`. */
  readonly description?: string;
  /** Scopes the resource requires (`insufficient_scope`), sent space-separated. */
  readonly scope?: readonly string[] | undefined;
  /** Also offer `Basic` (client credentials accepted), as a second challenge. */
  readonly basic?: boolean;
}

/**
 * Builds `Bearer realm="...", error="...", error_description="...", scope="..."` and, when
 * `basic`, `, Basic realm="..."`. Quoted strings escape `"` and `\` (quoted-pair); control
 * characters (CR and LF included) are removed and non-ASCII characters become `?`, so no input can
 * split or break the header.
 */
export function buildChallenge(opts: ChallengeOptions): string {
  const realm = quoted(opts.realm);
  const params = [`realm=${realm}`];
  if (opts.error !== undefined) {
    params.push(`error=${quoted(opts.error)}`);
    if (opts.description !== undefined && opts.description.length > 0) {
      params.push(`error_description=${quoted(opts.description)}`);
    }
  }
  if (opts.scope !== undefined && opts.scope.length > 0) {
    params.push(`scope=${quoted(opts.scope.join(' '))}`);
  }
  const bearer = `Bearer ${params.join(', ')}`;
  return opts.basic === true ? `${bearer}, Basic realm=${realm}` : bearer;
}

/** RFC 9110 §5.6.4 quoted-string of printable ASCII. */
function quoted(value: string): string {
  const safe = String(value)
    // eslint-disable-next-line no-control-regex -- removing control characters is the point
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .replace(/[^\u0020-\u007e]/g, '?')
    .replace(/["\\]/g, '\\$&');
  return `"${safe}"`;
}
