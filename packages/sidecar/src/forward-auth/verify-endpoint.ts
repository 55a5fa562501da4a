/**
 * The forward-auth answer (`/.portcullis/verify`, and every non-reserved path in verify-only
 * mode): 200 + identity headers to allow, RFC 6750 401/403 to deny, 400 when the original request
 * cannot be determined, 503 + Retry-After when the IdP is down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatTarget, normalizeTarget } from '../paths/normalize.js';
import type { NormalizedTarget } from '../paths/normalize.js';
import { decideAccess } from '../server/decide.js';
import type { AccessDecision } from '../server/decide.js';
import { principalFields, reasonOf, refusal } from '../server/pipeline-context.js';
import type { LogFields, PipelineContext } from '../server/pipeline-context.js';
import { readOriginalRequest, VERIFY_PATH } from './original-request.js';
import type { OriginalRequest } from './original-request.js';

export type VerifyEndpoint = (
  request: IncomingMessage,
  response: ServerResponse,
  client: string,
) => Promise<LogFields>;

/** The verify handler; resolves with the access-log fields of the answer it sent. */
export function createVerifyEndpoint(context: PipelineContext): VerifyEndpoint {
  const { config } = context;
  // Envoy copies allowed headers upstream; this tells it to drop the raw credential as well.
  const envoyRemove =
    config.verify.uriSource === 'envoy' && !config.credentials.forward
      ? ['authorization', config.credentials.apiKeyHeader].join(',')
      : undefined;

  return async (request, response, client) => {
    let original: OriginalRequest;
    let target: NormalizedTarget;
    try {
      original = readOriginalRequest(request, config.verify.uriSource, config.verify.pathPrefix);
      target = normalizeTarget(original.target);
    } catch (error) {
      const status = context.sendError(request, response, error);
      return {
        kind: 'verify',
        path: VERIFY_PATH,
        status,
        decision: 'deny',
        reason: reasonOf(error),
      };
    }
    let decision: AccessDecision;
    try {
      decision = await decideAccess(
        context.decide,
        request,
        original.method,
        target.path,
        formatTarget(target),
        client,
      );
    } catch (error) {
      const status = context.sendError(request, response, error);
      return {
        kind: 'verify',
        path: target.path,
        status,
        decision: refusal(status),
        reason: reasonOf(error),
      };
    }
    const headers: Record<string, string> = { 'cache-control': 'no-store' };
    if (decision.kind === 'allow') {
      Object.assign(headers, context.identityFor(decision.principal));
      if (envoyRemove !== undefined) headers['x-envoy-auth-headers-to-remove'] = envoyRemove;
    }
    if (context.draining()) headers['connection'] = 'close';
    response.writeHead(200, headers);
    response.end();
    return { kind: 'verify', path: target.path, status: 200, ...principalFields(decision) };
  };
}
