/* global sessionStorage, atob */
/**
 * The signed-in session: the token lives in sessionStorage (this tab only, gone when it closes);
 * who the caller is and what they may do are read from the token's claims. The server enforces
 * the same permissions on every call — hiding a control is a courtesy, not the protection.
 */

const TOKEN_KEY = 'portcullis.console.token';
const SIDECAR_KEY = 'portcullis.console.sidecarUrl';

/** Where the demo sidecar listens by default (the docker compose demo's port). */
export const DEFAULT_SIDECAR_URL = 'http://127.0.0.1:8080';

/** The JWT payload, unverified: only used to shape the UI, never to grant anything. */
export function claimsOf(token) {
  const part = token.split('.')[1];
  if (part === undefined) throw new Error('not a JWT');
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** A session from a token, or undefined when it is not a vendor/user token or has expired. */
export function sessionOf(token) {
  let claims;
  try {
    claims = claimsOf(token);
  } catch {
    return undefined;
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now()) return undefined;
  if (claims.type === 'vendor') return { token, kind: 'vendor', claims };
  if (claims.type === 'userToken') return { token, kind: 'user', claims };
  return undefined;
}

export function loadSession() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const session = token === null ? undefined : sessionOf(token);
  if (token !== null && session === undefined) sessionStorage.removeItem(TOKEN_KEY);
  return session;
}

export function saveSession(session) {
  sessionStorage.setItem(TOKEN_KEY, session.token);
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Whether the session may `action` (`read` | `write` | `delete`) tokens of `kind`
 * (`tenant` | `user`): the vendor always; a user when the token carries
 * `fe.secure.{action}.{kind}ApiTokens` (the access-token routes use the same six keys).
 */
export function can(session, action, kind) {
  if (session.kind === 'vendor') return true;
  const permissions = Array.isArray(session.claims.permissions) ? session.claims.permissions : [];
  return permissions.includes(`fe.secure.${action}.${kind}ApiTokens`);
}

export function sidecarUrl() {
  return sessionStorage.getItem(SIDECAR_KEY) ?? DEFAULT_SIDECAR_URL;
}

export function setSidecarUrl(url) {
  sessionStorage.setItem(SIDECAR_KEY, url);
}
