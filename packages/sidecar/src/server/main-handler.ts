/**
 * The main listener's request pipeline: normalise the target, serve the reserved
 * `/.portcullis/` prefix (webhooks, verify), then proxy (proxy mode) or verify (verify-only mode).
 * One access-log line and one metrics observation per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Principal } from '@portcullis/core';
import type { SidecarAuthenticator } from '../authenticator-port.js';
import type { SidecarConfig } from '../config/sidecar-config.js';
import { VERIFY_PATH } from '../forward-auth/original-request.js';
import { createVerifyEndpoint } from '../forward-auth/verify-endpoint.js';
import { logAccess } from '../logging/logger.js';
import type { SidecarLogger } from '../logging/logger.js';
import type { SidecarMetrics } from '../metrics/sidecar-metrics.js';
import { normalizeTarget } from '../paths/normalize.js';
import type { NormalizedTarget } from '../paths/normalize.js';
import { createProxyEndpoint } from '../proxy/proxy-endpoint.js';
import type { UpstreamProxy } from '../proxy/upstream-proxy.js';
import { writeRawResponse } from '../proxy/websocket.js';
import type { AbuseLimiter, MissTracker } from './abuse-limit.js';
import type { ClientAddressResolver } from './client-address.js';
import { createPipelineContext, reasonOf } from './pipeline-context.js';
import type { LogFields } from './pipeline-context.js';
import { headerValues } from './request-headers.js';
import { handleWebhook } from './webhook-endpoint.js';

const RESERVED_ROOT = '/.portcullis';
const RESERVED_PREFIX = '/.portcullis/';
const WEBHOOK_PREFIX = '/.portcullis/webhooks/';

export interface MainHandlerOptions {
  readonly config: SidecarConfig;
  readonly authenticator: SidecarAuthenticator;
  readonly proxy: UpstreamProxy | undefined;
  readonly logger: SidecarLogger;
  readonly metrics: SidecarMetrics;
  readonly clientAddress: ClientAddressResolver;
  readonly webhookSources: ClientAddressResolver | undefined;
  readonly abuse: AbuseLimiter | undefined;
  /** Charges cache misses to clients (with the abuse limit). */
  readonly misses: MissTracker | undefined;
  /** Signs the optional identity JWT for a principal. */
  readonly signIdentity: ((principal: Principal) => string) | undefined;
  readonly draining: () => boolean;
}

export interface MainHandler {
  handleRequest(request: IncomingMessage, response: ServerResponse): void;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Requests (and upgrades being authenticated) currently in progress. */
  readonly inFlight: number;
}

/** Build the main listener's `request` and `upgrade` handlers. */
export function createMainHandler(options: MainHandlerOptions): MainHandler {
  const { config, authenticator } = options;
  const context = createPipelineContext({
    config,
    authenticator,
    logger: options.logger,
    signIdentity: options.signIdentity,
    draining: options.draining,
    decide: {
      authenticator,
      rules: config.routes.rules,
      defaultAction: config.routes.default,
      abuse: options.abuse,
      misses: options.misses,
    },
  });
  const verify = createVerifyEndpoint(context);
  const proxy =
    options.proxy === undefined
      ? undefined
      : createProxyEndpoint(context, options.proxy, options.clientAddress, options.metrics);
  const webhookOptions = {
    receivers: authenticator.webhooks,
    maxBodyBytes: config.webhooks.maxBodyBytes,
    allowSource: (address: string) => options.webhookSources?.isTrusted(address) ?? true,
  };
  let inFlight = 0;

  const clientOf = (request: IncomingMessage): string =>
    options.clientAddress.resolve(
      request.socket.remoteAddress ?? '',
      headerValues(request, 'x-forwarded-for'),
    );

  async function dispatch(
    request: IncomingMessage,
    response: ServerResponse,
    client: string,
  ): Promise<LogFields> {
    let target: NormalizedTarget;
    try {
      target = normalizeTarget(request.url ?? '/');
    } catch (error) {
      request.resume();
      const status = context.sendError(request, response, error);
      const rawPath = ((request.url ?? '/').split('?')[0] as string).slice(0, 256);
      return { kind: 'reserved', path: rawPath, status, decision: 'deny', reason: reasonOf(error) };
    }
    if (target.path === RESERVED_ROOT || target.path.startsWith(RESERVED_PREFIX)) {
      if (target.path.startsWith(WEBHOOK_PREFIX)) {
        const name = target.path.slice(WEBHOOK_PREFIX.length);
        const result = await handleWebhook(webhookOptions, name, request, response, client);
        return {
          kind: 'webhook',
          path: target.path,
          status: result.status,
          decision: 'none',
          reason: result.outcome,
        };
      }
      if (target.path === VERIFY_PATH || target.path.startsWith(`${VERIFY_PATH}/`)) {
        return verify(request, response, client);
      }
      request.resume();
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'not_found', error_description: 'no such endpoint' }));
      return { kind: 'reserved', path: target.path, status: 404, decision: 'none' };
    }
    if (proxy !== undefined) return proxy.forward(request, response, target, client);
    return verify(request, response, client);
  }

  async function dispatchUpgrade(
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    client: string,
  ): Promise<LogFields> {
    let target: NormalizedTarget;
    try {
      target = normalizeTarget(request.url ?? '/');
    } catch (error) {
      const answer = context.errorAnswer(error);
      writeRawResponse(socket, answer.status, answer.headers, JSON.stringify(answer.body));
      return {
        kind: 'upgrade',
        path: '-',
        status: answer.status,
        decision: 'deny',
        reason: reasonOf(error),
      };
    }
    if (
      proxy === undefined ||
      target.path === RESERVED_ROOT ||
      target.path.startsWith(RESERVED_PREFIX)
    ) {
      writeRawResponse(socket, 400, {});
      return {
        kind: 'upgrade',
        path: target.path,
        status: 400,
        decision: 'none',
        reason: 'upgrade-not-proxied',
      };
    }
    return proxy.upgrade(request, socket, head, target, client);
  }

  /** Track, run, and log one exchange; `fail` answers when the endpoint itself threw. */
  function track(
    request: IncomingMessage,
    run: (client: string) => Promise<LogFields>,
    fail: (error: unknown) => number,
  ): void {
    const started = performance.now();
    const client = clientOf(request);
    inFlight += 1;
    // One callback pair per exchange (no catch/then/finally chain): both settle the exchange.
    const done = (fields: LogFields): void => {
      inFlight -= 1;
      // A failing metric or log write must not become an unhandled rejection (it would end the process).
      try {
        options.metrics.observeRequest(fields.kind, fields.decision, fields.status);
        logAccess(
          options.logger,
          fields,
          request.method ?? '-',
          client,
          Math.round((performance.now() - started) * 10) / 10,
        );
      } catch (error) {
        options.logger.error({ err: error }, 'could not record the request');
      }
    };
    void run(client).then(done, (error: unknown) => {
      const status = fail(error);
      done({ kind: 'reserved', path: '-', status, decision: 'error', reason: reasonOf(error) });
    });
  }

  return {
    handleRequest(request, response) {
      track(
        request,
        (client) => dispatch(request, response, client),
        (error) => context.sendError(request, response, error),
      );
    },
    handleUpgrade(request, socket, head) {
      socket.on('error', () => socket.destroy());
      track(
        request,
        (client) => dispatchUpgrade(request, socket, head, client),
        () => {
          writeRawResponse(socket, 500, {});
          return 500;
        },
      );
    },
    get inFlight() {
      return inFlight;
    },
  };
}
