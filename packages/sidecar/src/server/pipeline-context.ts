/**
 * What every main-listener endpoint shares: the access decision inputs, identity headers for a
 * principal, and one way to turn an error into an RFC 6750 answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorResponse, isPortcullisError } from '@portcullis/core';
import type { ErrorResponse, Principal } from '@portcullis/core';
import type { SidecarAuthenticator } from '../authenticator-port.js';
import type { SidecarConfig } from '../config/sidecar-config.js';
import { identityHeaders } from '../identity/headers.js';
import type { AccessLogEntry, SidecarLogger } from '../logging/logger.js';
import type { AccessDecision, DecideOptions } from './decide.js';

/** Access-log fields an endpoint reports; the handler adds method, client and latency. */
export type LogFields = Omit<AccessLogEntry, 'latencyMs' | 'client' | 'method'>;

export interface PipelineContext {
  readonly config: SidecarConfig;
  readonly authenticator: SidecarAuthenticator;
  readonly logger: SidecarLogger;
  readonly decide: DecideOptions;
  readonly draining: () => boolean;
  /** Identity headers (and the signed identity JWT when enabled) for a principal. */
  identityFor(principal: Principal): Record<string, string>;
  /** The HTTP answer for an error (unexpected errors are logged and answered 500). */
  errorAnswer(error: unknown): ErrorResponse;
  /** Send `errorAnswer(error)` as JSON; returns the status sent. */
  sendError(request: IncomingMessage, response: ServerResponse, error: unknown): number;
}

export interface PipelineContextOptions {
  readonly config: SidecarConfig;
  readonly authenticator: SidecarAuthenticator;
  readonly logger: SidecarLogger;
  readonly decide: DecideOptions;
  readonly signIdentity: ((principal: Principal) => string) | undefined;
  readonly draining: () => boolean;
}

const REALM = 'portcullis';

export function createPipelineContext(options: PipelineContextOptions): PipelineContext {
  const prefix = options.config.identity.headerPrefix;
  const identityHeaderName = `${prefix}identity`;
  const { authenticator, logger } = options;

  const errorAnswer = (error: unknown): ErrorResponse => {
    if (!isPortcullisError(error)) {
      const detail = error instanceof Error ? { name: error.name, message: error.message } : {};
      logger.error({ err: detail }, 'unexpected error in the request pipeline');
    }
    return errorResponse(error, { realm: REALM, basic: authenticator.acceptsBasic() });
  };

  return {
    config: options.config,
    authenticator,
    logger,
    decide: options.decide,
    draining: options.draining,
    identityFor(principal) {
      const headers = identityHeaders(principal, prefix);
      if (options.signIdentity !== undefined) {
        headers[identityHeaderName] = options.signIdentity(principal);
      }
      return headers;
    },
    errorAnswer,
    sendError(request, response, error) {
      const answer = errorAnswer(error);
      if (response.headersSent) {
        response.destroy();
        return answer.status;
      }
      const headers: Record<string, string> = {
        ...answer.headers,
        'content-type': 'application/json',
        'cache-control': 'no-store',
      };
      if (options.draining()) headers['connection'] = 'close';
      response.writeHead(answer.status, headers);
      response.end(request.method === 'HEAD' ? undefined : JSON.stringify(answer.body));
      return answer.status;
    },
  };
}

/** The error code for the access log. */
export function reasonOf(error: unknown): string {
  return isPortcullisError(error) ? error.code : 'ERR_INTERNAL';
}

/** `deny` for the client's fault, `error` for ours or the IdP's. */
export function refusal(status: number): 'deny' | 'error' {
  return status >= 500 ? 'error' : 'deny';
}

/** Who was let in, for the access log (never a credential). */
export function principalFields(
  decision: AccessDecision,
): Pick<AccessLogEntry, 'decision' | 'rule' | 'subject' | 'clientId' | 'tenantId'> {
  if (decision.kind !== 'allow') return { decision: 'public', rule: decision.rule };
  const p = decision.principal;
  return {
    decision: 'allow',
    rule: decision.rule,
    subject: p.subject,
    ...(p.clientId === undefined ? {} : { clientId: p.clientId }),
    ...(p.tenantId === undefined ? {} : { tenantId: p.tenantId }),
  };
}
