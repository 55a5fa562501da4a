/** A JWKS endpoint on loopback whose keys can be rotated and which can be made to fail. */
import type { Reply, TestServer } from './http-server.js';
import { startTestServer } from './http-server.js';
import { jwksOf } from './keys.js';
import type { TestSigningKey } from './keys.js';

export const JWKS_PATH = '/.well-known/jwks.json';

export interface JwksServer {
  readonly server: TestServer;
  /** Full URL of the JWKS document. */
  readonly jwksUri: string;
  /** Publish these keys from now on (rotation). */
  setKeys(...keys: readonly TestSigningKey[]): void;
  /** Answer every JWKS request with this reply (e.g. `{ status: 503 }`), or serve keys again with `undefined`. */
  fail(reply: Reply | undefined): void;
  /** JWKS requests received so far. */
  fetchCount(): number;
  close(): Promise<void>;
}

export async function startJwksServer(...keys: readonly TestSigningKey[]): Promise<JwksServer> {
  let published = keys;
  let failure: Reply | undefined;
  const server = await startTestServer((request) => {
    if (request.path !== JWKS_PATH) return { status: 404, body: { error: 'not_found' } };
    return failure ?? { status: 200, body: jwksOf(...published) };
  });
  return {
    server,
    jwksUri: `${server.url}${JWKS_PATH}`,
    setKeys(...next) {
      published = next;
    },
    fail(reply) {
      failure = reply;
    },
    fetchCount: () => server.count(JWKS_PATH),
    close: () => server.close(),
  };
}
