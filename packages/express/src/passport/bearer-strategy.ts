import type { Request } from 'express';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import type { VerifyFunctionWithRequest } from 'passport-http-bearer';
import { buildChallenge } from '@portcullis/core';
import {
  assertStrategyAuthenticator,
  authenticateForPassport,
  credentialForm,
  decline,
} from './delegate.js';
import type { PassportActions, StrategyAuthenticator } from './delegate.js';
import { resolveStrategyOptions } from './strategy-options.js';
import type { M2MStrategyOptions, StrategySettings } from './strategy-options.js';

/**
 * Passport strategy `m2m-bearer`: access tokens in `Authorization: Bearer` or the API-key header
 * (`X-API-Key`), verified by the Portcullis authenticator. Answers equal `m2mAuth()`'s: success
 * sets `req.user` (and `req.auth`) to the Principal; bad credentials are `fail(challenge, status)`
 * (400 `invalid_request`, 401 `invalid_token`); IdP trouble is `error(err)` — render it with
 * `m2mErrorHandler()` (503 + `Retry-After`).
 *
 * It is a `passport-http-bearer` strategy (RFC 6750 challenges, the `verify(req, token, done)`
 * contract), except for where it looks for the token: passport-http-bearer also reads
 * `access_token` from the query string and form body, which leaks tokens into logs; here those
 * are refused with 400 `invalid_request`, like everywhere else in Portcullis. A request carrying
 * client credentials (`Authorization: Basic`) is left to `m2m-basic`.
 *
 * @example
 * passport.use(new M2MBearerStrategy(authenticator));
 * passport.use(new M2MBasicStrategy(authenticator));
 * app.get('/orders', passport.authenticate(['m2m-bearer', 'm2m-basic'], { session: false }), list);
 */
export class M2MBearerStrategy extends BearerStrategy<VerifyFunctionWithRequest> {
  // Plain properties, not #private: Passport runs each request on Object.create(strategy).
  private readonly settings: StrategySettings;
  private readonly authenticator: StrategyAuthenticator;

  constructor(authenticator: StrategyAuthenticator, options: M2MStrategyOptions = {}) {
    assertStrategyAuthenticator('M2MBearerStrategy', authenticator);
    const settings = resolveStrategyOptions('M2MBearerStrategy', options);
    // passport-http-bearer insists on a verify callback; ours is never the thing that decides,
    // the authenticator is (see `authenticate`).
    super({ realm: settings.realm, passReqToCallback: true }, (_req, _token, done) =>
      done(new Error('M2MBearerStrategy verifies through the Portcullis authenticator')),
    );
    this.name = 'm2m-bearer';
    this.settings = settings;
    this.authenticator = authenticator;
  }

  override authenticate(req: Request): void {
    const actions = this as unknown as PassportActions;
    if (credentialForm(req, this.settings) === 'basic') {
      decline(actions);
      return;
    }
    authenticateForPassport(actions, req, this.authenticator, this.settings, () =>
      buildChallenge({ realm: this.settings.realm }),
    );
  }
}
