/** Calls a surface over real HTTP and normalises its answer for `assertAnswer`. */
import { request } from 'undici';
import type { SurfaceAnswer } from './assert.js';
import type { ConformanceRequest } from './cases.js';

/**
 * `identityFrom` reads the established identity out of a 200 answer (the express runners echo
 * `req.auth` as JSON; the sidecar runners read the identity headers the upstream saw).
 */
export async function callOverHttp(
  baseUrl: string,
  conformanceRequest: ConformanceRequest,
  identityFrom: (
    body: any,
    headers: Record<string, string | undefined>,
  ) => Record<string, unknown> | undefined,
): Promise<SurfaceAnswer> {
  const response = await request(`${baseUrl}${conformanceRequest.path}`, {
    method: 'GET',
    headers: conformanceRequest.headers as Record<string, string | string[]>,
  });
  const text = await response.body.text();
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  let body: any;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (response.statusCode === 200) {
    return { status: 200, headers, identity: identityFrom(body, headers) };
  }
  return { status: response.statusCode, headers, code: body?.code };
}
