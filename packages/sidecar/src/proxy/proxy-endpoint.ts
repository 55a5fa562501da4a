/**
 * Proxy mode: decide access for the normalised target, then forward the request (or tunnel the
 * upgrade) with the client's look-alike headers stripped and the identity headers added.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { spoofableHeaderFilter } from '../identity/headers.js';
import type { SidecarMetrics } from '../metrics/sidecar-metrics.js';
import { formatTarget } from '../paths/normalize.js';
import type { NormalizedTarget } from '../paths/normalize.js';
import type { ClientAddressResolver } from '../server/client-address.js';
import { decideAccess } from '../server/decide.js';
import type { AccessDecision } from '../server/decide.js';
import { principalFields, reasonOf, refusal } from '../server/pipeline-context.js';
import type { LogFields, PipelineContext } from '../server/pipeline-context.js';
import { buildUpstreamHeaders, PROXY_STRIPPED_HEADERS } from './upstream-headers.js';
import type { UpstreamProxy } from './upstream-proxy.js';
import { tunnelUpgrade, writeRawResponse } from './websocket.js';

export interface ProxyEndpoint {
  forward(
    request: IncomingMessage,
    response: ServerResponse,
    target: NormalizedTarget,
    client: string,
  ): Promise<LogFields>;
  upgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    target: NormalizedTarget,
    client: string,
  ): Promise<LogFields>;
}

/** The proxy-mode handlers (plain requests and upgrades). */
export function createProxyEndpoint(
  context: PipelineContext,
  proxy: UpstreamProxy,
  clientAddress: ClientAddressResolver,
  metrics: SidecarMetrics,
): ProxyEndpoint {
  const { config } = context;
  const isSpoofable = spoofableHeaderFilter(config.identity.headerPrefix, PROXY_STRIPPED_HEADERS);
  const credentialHeaders = new Set(
    config.credentials.forward
      ? []
      : ['authorization', config.credentials.apiKeyHeader.replaceAll('_', '-')],
  );
  const upstreamHeaders = (
    request: IncomingMessage,
    decision: AccessDecision,
    client: string,
  ): string[] =>
    buildUpstreamHeaders(request, {
      isSpoofable,
      credentialHeaders,
      clientAddress: client,
      peerTrusted: clientAddress.isTrusted(request.socket.remoteAddress ?? ''),
      identity: decision.kind === 'allow' ? context.identityFor(decision.principal) : {},
    });

  return {
    async forward(request, response, target, client) {
      const method = request.method ?? 'GET';
      let decision: AccessDecision;
      try {
        decision = await decideAccess(
          context.decide,
          request,
          method,
          target.path,
          formatTarget(target),
          client,
        );
      } catch (error) {
        // The body will not be read: let Node discard it rather than stall the connection.
        request.resume();
        const status = context.sendError(request, response, error);
        return {
          kind: 'proxy',
          path: target.path,
          status,
          decision: refusal(status),
          reason: reasonOf(error),
        };
      }
      const headers = upstreamHeaders(request, decision, client);
      if (context.draining()) response.setHeader('connection', 'close');
      const outcome = await proxy.forward(request, response, formatTarget(target), headers);
      if (outcome.upstreamMs !== undefined) {
        metrics.observeUpstream(outcome.upstreamMs, outcome.status);
      }
      return {
        kind: 'proxy',
        path: target.path,
        status: outcome.status,
        ...principalFields(decision),
        ...(outcome.failure === undefined ? {} : { reason: `upstream-${outcome.failure}` }),
        ...(outcome.upstreamMs === undefined
          ? {}
          : { upstreamMs: Math.round(outcome.upstreamMs * 10) / 10 }),
      };
    },

    async upgrade(request, socket, head, target, client) {
      let decision: AccessDecision;
      try {
        decision = await decideAccess(
          context.decide,
          request,
          'GET',
          target.path,
          formatTarget(target),
          client,
        );
      } catch (error) {
        const answer = context.errorAnswer(error);
        writeRawResponse(
          socket,
          answer.status,
          { ...answer.headers, 'content-type': 'application/json' },
          JSON.stringify(answer.body),
        );
        return {
          kind: 'upgrade',
          path: target.path,
          status: answer.status,
          decision: refusal(answer.status),
          reason: reasonOf(error),
        };
      }
      const status = await tunnelUpgrade(request, socket, head, {
        dispatcher: proxy.dispatcher,
        target: formatTarget(target),
        headers: upstreamHeaders(request, decision, client),
        timeoutMs: config.upstreamTimeoutMs,
      });
      return { kind: 'upgrade', path: target.path, status, ...principalFields(decision) };
    },
  };
}
