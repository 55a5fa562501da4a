/**
 * One Express 5 app per process, one protected route `GET /orders` answering `{"ok":true}`.
 * `BENCH_ARGS.variant` picks what guards the route:
 *   bare        nothing (the baseline)
 *   noop        one middleware that only calls next() (the floor of any middleware)
 *   noop-async  the same, calling next() from a promise callback
 *   ideal       the ideal cached verifier: sha256 of the Authorization header, one Map lookup,
 *               an expiry check, next() from a promise (the floor of any cache that must hash
 *               the credential; it verifies nothing, a first-seen header is simply stored)
 *   core-only   core's authenticator from a minimal middleware, no m2mAuth (diagnostic)
 *   portcullis  m2mAuth + createAuthenticator with the `frontegg` preset (the emulator)
 *   auth0       express-oauth2-jwt-bearer against a local JWKS
 *   frontegg    @frontegg/client withAuthentication (the emulator)
 *   passport    passport-http-bearer, jose jwtVerify on every request against a local JWKS
 */
import { createHash } from 'node:crypto';
import express from 'express';
import { childArgs, exitOnSignal, reportFatal, reportReady } from '../lib/child.mjs';

const args = childArgs();

async function guardFor(variant) {
  switch (variant) {
    case 'bare':
      return [];
    case 'noop':
      // The floor of any Express middleware: one more router layer that only calls next().
      return [(_req, _res, next) => next()];
    case 'noop-async':
      // ...and one that, like any async check, calls next() from a promise callback.
      return [(_req, _res, next) => void Promise.resolve().then(() => next())];
    case 'ideal': {
      const TTL_MS = 30_000;
      const cache = new Map();
      return [
        (req, res, next) => {
          const header = req.headers.authorization ?? req.headers['x-api-key'];
          if (typeof header !== 'string') {
            res.status(401).end();
            return;
          }
          const key = createHash('sha256').update(header).digest('base64url');
          const now = Date.now();
          let entry = cache.get(key);
          if (entry === undefined || entry.expiresAt <= now) {
            entry = { principal: { subject: 'bench' }, expiresAt: now + TTL_MS };
            cache.set(key, entry);
          }
          void Promise.resolve().then(() => {
            req.auth = entry.principal;
            next();
          });
        },
      ];
    }
    case 'portcullis': {
      const { createAuthenticator, frontegg } = await import('@portcullis/core');
      const { m2mAuth } = await import('@portcullis/express');
      const authenticator = createAuthenticator({
        provider: frontegg(args.provider),
        policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
      });
      await authenticator.ready();
      return [m2mAuth(authenticator)];
    }
    case 'core-only': {
      // Diagnostic: core's authenticator called straight from a minimal middleware (no m2mAuth),
      // to split the cost between core and the Express layer.
      const { createAuthenticator, frontegg } = await import('@portcullis/core');
      const authenticator = createAuthenticator({
        provider: frontegg(args.provider),
        policy: { enabled: true, acceptedCredentials: ['client_credentials', 'access_token'] },
      });
      await authenticator.ready();
      return [
        (req, _res, next) => {
          authenticator.authenticate({ headers: req.headers, url: req.url }).then((principal) => {
            req.auth = principal;
            next();
          }, next);
        },
      ];
    }
    case 'auth0': {
      const { auth } = await import('express-oauth2-jwt-bearer');
      return [
        auth({
          issuer: args.issuer,
          audience: args.audience,
          jwksUri: args.jwksUri,
          tokenSigningAlg: 'RS256',
        }),
      ];
    }
    case 'frontegg': {
      // The SDK reads its URLs at module load: set them before the import.
      process.env.FRONTEGG_API_GATEWAY_URL = `${args.provider.baseUrl}/`;
      process.env.FRONTEGG_AUTHENTICATOR_NUMBER_OF_TRIES = '1';
      const sdk = await import('@frontegg/client');
      sdk.FronteggContext.init({
        FRONTEGG_CLIENT_ID: args.provider.clientId,
        FRONTEGG_API_KEY: args.provider.apiKey,
      });
      return [sdk.withAuthentication()];
    }
    case 'passport': {
      const { default: passport } = await import('passport');
      const { Strategy: BearerStrategy } = await import('passport-http-bearer');
      const { createRemoteJWKSet, jwtVerify } = await import('jose');
      const keys = createRemoteJWKSet(new URL(args.jwksUri));
      passport.use(
        new BearerStrategy((token, done) => {
          jwtVerify(token, keys, {
            issuer: args.issuer,
            audience: args.audience,
            algorithms: ['RS256'],
          }).then(
            ({ payload }) => done(null, payload),
            () => done(null, false),
          );
        }),
      );
      return [passport.initialize(), passport.authenticate('bearer', { session: false })];
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

try {
  const app = express();
  app.disable('x-powered-by');
  app.get('/orders', ...(await guardFor(args.variant)), (_req, res) => {
    res.json({ ok: true });
  });
  // @frontegg/client answers and then also calls next(error) (frontegg/nodejs-sdk#40).
  app.use((error, _req, res, next) => {
    if (res.headersSent) return;
    next(error);
  });
  const server = app.listen(0, '127.0.0.1', () => {
    reportReady({ port: server.address().port, variant: args.variant });
  });
  server.keepAliveTimeout = 60_000;
  exitOnSignal(() => new Promise((resolve) => server.close(resolve)));
} catch (error) {
  reportFatal(error);
}
