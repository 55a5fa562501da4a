/**
 * A small, real identity provider on loopback for the express tests: it signs RS256 access tokens
 * with keys generated per run and exchanges client credentials (`POST /token`, HTTP Basic) for
 * them. `fault` makes it answer 503 on the wire, which is how "IdP down" is produced.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey } from 'jose';

export interface TokenClaims {
  readonly sub?: string;
  readonly clientId?: string;
  readonly tenantId?: string;
  readonly userId?: string;
  readonly permissions?: readonly string[];
  readonly roles?: readonly string[];
  readonly scope?: string;
  /** `client_credentials` tokens come from the exchange; `access_token` ones are issued directly. */
  readonly kind?: 'client_credentials' | 'access_token';
  readonly jti?: string;
  /** Seconds relative to now; default 3600. Negative → already expired. */
  readonly expiresInSec?: number;
  readonly issuedAgoSec?: number;
}

export interface TestClient {
  readonly clientId: string;
  readonly secret: string;
  readonly claims: TokenClaims;
}

export interface TestIdp {
  readonly url: string;
  readonly issuer: string;
  readonly audience: string;
  readonly publicKey: CryptoKey;
  /** Calls to `POST /token` seen so far. */
  readonly tokenCalls: number;
  /** `'down'`: every route answers 503 with `Retry-After: 7`. */
  fault: 'none' | 'down';
  mint(claims: TokenClaims, key?: CryptoKey): Promise<string>;
  /** A key pair the IdP does not publish (for bad-signature tokens). */
  foreignKey(): Promise<CryptoKey>;
  addClient(client: TestClient): void;
  close(): Promise<void>;
}

export async function startTestIdp(): Promise<TestIdp> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const clients = new Map<string, TestClient>();
  let foreign: Promise<CryptoKey> | undefined;
  let tokenCalls = 0;
  const state = { fault: 'none' as 'none' | 'down' };
  const audience = 'express-tests';
  let issuer = '';

  const mint = async (claims: TokenClaims, key: CryptoKey = privateKey): Promise<string> => {
    const now = Math.floor(Date.now() / 1000);
    const iat = now - (claims.issuedAgoSec ?? 0);
    return new SignJWT({
      ...(claims.clientId === undefined ? {} : { client_id: claims.clientId }),
      ...(claims.tenantId === undefined ? {} : { tenantId: claims.tenantId }),
      ...(claims.userId === undefined ? {} : { userId: claims.userId }),
      permissions: claims.permissions ?? [],
      roles: claims.roles ?? [],
      ...(claims.scope === undefined ? {} : { scope: claims.scope }),
      kind: claims.kind ?? 'access_token',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(claims.sub ?? claims.clientId ?? 'machine')
      .setJti(claims.jti ?? crypto.randomUUID())
      .setIssuedAt(iat)
      .setExpirationTime(now + (claims.expiresInSec ?? 3600))
      .sign(key);
  };

  const server: Server = createServer((req, res) => {
    if (state.fault === 'down') {
      res.writeHead(503, { 'retry-after': '7', 'content-type': 'application/json' });
      res.end('{"error":"unavailable"}');
      return;
    }
    if (req.method === 'POST' && req.url === '/token') {
      tokenCalls += 1;
      const header = req.headers.authorization ?? '';
      const decoded = Buffer.from(header.replace(/^Basic /i, ''), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const client = clients.get(decoded.slice(0, colon));
      req.resume();
      if (client === undefined || client.secret !== decoded.slice(colon + 1)) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"invalid_client"}');
        return;
      }
      void mint({ ...client.claims, clientId: client.clientId, kind: 'client_credentials' }).then(
        (token) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ access_token: token, token_type: 'Bearer' }));
        },
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = url;

  return {
    url,
    issuer,
    audience,
    publicKey,
    get tokenCalls() {
      return tokenCalls;
    },
    get fault() {
      return state.fault;
    },
    set fault(value) {
      state.fault = value;
    },
    mint,
    // One foreign key per IdP: RSA key generation is slow, and any unpublished key will do.
    foreignKey: () => (foreign ??= generateKeyPair('RS256').then((pair) => pair.privateKey)),
    addClient: (client) => void clients.set(client.clientId, client),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
