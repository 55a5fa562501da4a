import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
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
 * A plain `passport-strategy` strategy like `M2MBasicStrategy`: it answers like
 * passport-http-bearer (RFC 6750 challenges) but has no `verify` callback — the authenticator
 * decides — and does not read `access_token` from the query string or form body as
 * passport-http-bearer does (that leaks tokens into logs); those are refused with 400
 * `invalid_request`, like everywhere else in Portcullis. A request carrying client credentials
 * (`Authorization: Basic`) is left to `m2m-basic`.
 *
 * @example
 * passport.use(new M2MBearerStrategy(authenticator));
 * passport.use(new M2MBasicStrategy(authenticator));
 * app.get('/orders', passport.authenticate(['m2m-bearer', 'm2m-basic'], { session: false }), list);
 */
export class M2MBearerStrategy extends Strategy {
  readonly name = 'm2m-bearer';
  // Plain properties, not #private: Passport runs each request on Object.create(strategy).
  private readonly settings: StrategySettings;
  private readonly authenticator: StrategyAuthenticator;

  constructor(authenticator: StrategyAuthenticator, options: M2MStrategyOptions = {}) {
    super();
    assertStrategyAuthenticator('M2MBearerStrategy', authenticator);
    this.settings = resolveStrategyOptions('M2MBearerStrategy', options);
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
