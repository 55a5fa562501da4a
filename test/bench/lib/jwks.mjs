/**
 * A local issuer for the peers' scenarios: an RS256 key, its JWKS served on loopback, and JWTs
 * padded to a target size (1 KB by default, like the Portcullis scenarios' tokens).
 */
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export const BENCH_ISSUER = 'https://issuer.bench.test/';
export const BENCH_AUDIENCE = 'https://api.bench.test';

export async function startJwksIssuer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-key', alg: 'RS256', use: 'sig' };
  const body = JSON.stringify({ keys: [jwk] });
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwksUri = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;

  async function sign(claims = {}, targetBytes = 1024) {
    const make = (pad) =>
      new SignJWT({ scope: 'orders:read', tenant_id: 'bench-tenant', pad, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench-key', typ: 'JWT' })
        .setIssuer(BENCH_ISSUER)
        .setAudience(BENCH_AUDIENCE)
        .setSubject(claims.sub ?? 'bench-client')
        .setIssuedAt()
        .setExpirationTime('2h')
        .sign(privateKey);
    const probe = await make('');
    const missing = Math.max(0, Math.floor(((targetBytes - probe.length) * 3) / 4));
    return make('x'.repeat(missing));
  }

  return {
    jwksUri,
    privateKey,
    publicJwk: jwk,
    sign,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
