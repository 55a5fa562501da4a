/* Browser module: fetch is a configured global. */
/** Calls to the emulator's public HTTP API: the same routes curl would use. */

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

function messageOf(body, status) {
  if (body && Array.isArray(body.errors) && body.errors.length > 0) return body.errors.join('; ');
  if (body && typeof body.error_description === 'string') return body.error_description;
  return `Request failed with status ${status}`;
}

/**
 * `method path` with an optional bearer token, JSON body and extra headers. Resolves with the
 * parsed JSON answer; rejects with an ApiError carrying the status and the API's message.
 */
export async function request(method, path, { token, body, headers } = {}) {
  const all = { accept: 'application/json', ...headers };
  if (token !== undefined) all.authorization = `Bearer ${token}`;
  if (body !== undefined) all['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers: all,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
    redirect: 'error',
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) throw new ApiError(response.status, messageOf(parsed, response.status));
  return parsed;
}

/** Vendor sign-in: `POST /auth/vendor` → the vendor token. */
export async function signInVendor(clientId, secret) {
  const answer = await request('POST', '/auth/vendor', { body: { clientId, secret } });
  return answer.token;
}

/** User sign-in: `POST /identity/resources/auth/v1/user` → the user token (a `userToken` JWT). */
export async function signInUser(email, password, tenantId) {
  const answer = await request('POST', '/identity/resources/auth/v1/user', {
    body: { email, password },
    headers: tenantId ? { 'frontegg-tenant-id': tenantId } : {},
  });
  return answer.accessToken;
}
