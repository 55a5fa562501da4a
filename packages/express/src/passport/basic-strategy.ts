import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
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
 * Passport strategy `m2m-basic`: client credentials in `Authorization: Basic
 * base64(clientId:secret)`, parsed by core (split on the first colon, so secrets may contain
 * `:` — passport-http #20) and exchanged/verified by the Portcullis authenticator. Same outcomes
 * as `M2MBearerStrategy`; a request carrying a bearer token or API key is left to `m2m-bearer`.
 * Offers its `Basic realm=...` challenge only while the vendor policy accepts client credentials.
 */
export class M2MBasicStrategy extends Strategy {
  readonly name = 'm2m-basic';
  // Plain properties, not #private: Passport runs each request on Object.create(strategy).
  private readonly settings: StrategySettings;
  private readonly authenticator: StrategyAuthenticator;

  constructor(authenticator: StrategyAuthenticator, options: M2MStrategyOptions = {}) {
    super();
    assertStrategyAuthenticator('M2MBasicStrategy', authenticator);
    this.settings = resolveStrategyOptions('M2MBasicStrategy', options);
    this.authenticator = authenticator;
  }

  override authenticate(req: Request): void {
    const actions = this as unknown as PassportActions;
    const form = credentialForm(req, this.settings);
    if (form === 'bearer' || form === 'api-key') {
      decline(actions);
      return;
    }
    authenticateForPassport(actions, req, this.authenticator, this.settings, (basic) =>
      basic ? `Basic realm="${this.settings.realm}"` : undefined,
    );
  }
}
