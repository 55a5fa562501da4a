/**
 * Sidecar replicas sharing one Redis topology, configured from env exactly as the CLI is
 * (`loadConfig` + `startSidecar`), authenticating locally signed JWTs (a scripted JWKS server),
 * with Standard Webhooks for revocations and M2M policy. Used by the Cluster and Sentinel e2e.
 */
import { randomBytes } from 'node:crypto';
import { signStandardWebhook } from '@portcullis/core';
import { loadConfig, startSidecar } from '@portcullis/sidecar';
import type { RunningSidecar } from '@portcullis/sidecar';
import { createSigningKey, jwksOf, signJwt } from '../../reliability/support/jwt-kit.js';
import type { SigningKey } from '../../reliability/support/jwt-kit.js';
import { json, startScriptedServer } from '../../reliability/support/scripted-server.js';
import type { ScriptedServer } from '../../reliability/support/scripted-server.js';
import { waitUntil } from '../../support/redis-processes.js';

const AUDIENCE = 'urn:portcullis:topology-e2e';

export interface Delivery {
  readonly id: string;
  readonly body: string;
}

export interface ReplicaSet {
  readonly replicas: RunningSidecar[];
  readonly webhookSecret: string;
  /** Starts one more replica with the same env; resolves once `/readyz` is 200. */
  add(): Promise<RunningSidecar>;
  /** A Bearer JWT for `clientId` (one per client, signed once). */
  token(clientId: string): Promise<string>;
  /** `200`, or `401 ERR_TOKEN_REVOKED` and the like: how `replica` answers `clientId`. */
  answer(replica: RunningSidecar, clientId: string): Promise<string>;
  /** Polls every replica until each answers `expected` for `clientId` (throws after `timeoutMs`). */
  everyReplicaAnswers(clientId: string, expected: string, timeoutMs?: number): Promise<void>;
  /** A signed Standard Webhooks delivery (id fixed, so resending it is a replay). */
  delivery(type: string, data: Record<string, unknown>): Delivery;
  /** Posts `delivery` to `replica`; resolves with status and JSON body. */
  send(replica: RunningSidecar, delivery: Delivery): Promise<{ status: number; body: unknown }>;
  /** Posts until a 2xx (as a vendor retries); returns the statuses seen, last one 2xx. */
  sendUntilAccepted(
    replica: RunningSidecar,
    delivery: Delivery,
    timeoutMs?: number,
  ): Promise<number[]>;
  /** The store component of `replica`'s health (`ok`, `degraded`, …). */
  storeStatus(replica: RunningSidecar): string;
  close(): Promise<void>;
}

export async function startReplicaSet(
  redisEnv: Readonly<Record<string, string>>,
): Promise<ReplicaSet> {
  const key: SigningKey = await createSigningKey('ES256');
  const idp: ScriptedServer = await startScriptedServer(() => json(200, jwksOf(key)));
  const upstream: ScriptedServer = await startScriptedServer(() => json(200, { ok: true }));
  const webhookSecret = `whsec_${randomBytes(32).toString('base64')}`;
  const replicas: RunningSidecar[] = [];
  const tokens = new Map<string, string>();
  const env = {
    PORTCULLIS_PROVIDER: 'oauth2',
    PORTCULLIS_ISSUER: `${idp.url}/issuer`,
    PORTCULLIS_AUDIENCE: AUDIENCE,
    PORTCULLIS_JWKS_URI: `${idp.url}/jwks`,
    PORTCULLIS_TOKEN_URL: `${idp.url}/token`,
    PORTCULLIS_LISTEN: '127.0.0.1:0',
    PORTCULLIS_ADMIN_LISTEN: '127.0.0.1:0',
    PORTCULLIS_UPSTREAM: upstream.url,
    PORTCULLIS_STANDARD_WEBHOOK_SECRET: webhookSecret,
    PORTCULLIS_SHARED_CACHE_SECRET: randomBytes(32).toString('hex'),
    PORTCULLIS_POLICY_CREDENTIALS: 'client_credentials,access_token',
    PORTCULLIS_LOG_LEVEL: 'silent',
    ...redisEnv,
  };

  const add = async (): Promise<RunningSidecar> => {
    const sidecar = await startSidecar(loadConfig(env));
    replicas.push(sidecar);
    await waitUntil(
      'sidecar readiness',
      async () => {
        const response = await fetch(`${sidecar.adminUrl}/readyz`);
        await response.arrayBuffer();
        return response.status === 200;
      },
      15_000,
    );
    return sidecar;
  };

  const token = async (clientId: string): Promise<string> => {
    const known = tokens.get(clientId);
    if (known !== undefined) return known;
    const nowSec = Math.floor(Date.now() / 1000);
    const signed = await signJwt(key, {
      iss: `${idp.url}/issuer`,
      aud: AUDIENCE,
      sub: clientId,
      client_id: clientId,
      jti: `${clientId}-jti`,
      iat: nowSec - 10,
      exp: nowSec + 3600,
    });
    tokens.set(clientId, signed);
    return signed;
  };

  const answer = async (replica: RunningSidecar, clientId: string): Promise<string> => {
    const response = await fetch(`${replica.mainUrl}/orders`, {
      headers: { authorization: `Bearer ${await token(clientId)}` },
    });
    const text = await response.text();
    if (response.status === 200) return '200';
    let code = '';
    try {
      code = String((JSON.parse(text) as { code?: unknown }).code ?? '');
    } catch {
      // not JSON
    }
    return `${response.status} ${code}`.trim();
  };

  const send = async (
    replica: RunningSidecar,
    delivery: Delivery,
  ): Promise<{ status: number; body: unknown }> => {
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(`${replica.mainUrl}/.portcullis/webhooks/standard`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': delivery.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(
          webhookSecret,
          delivery.id,
          timestamp,
          delivery.body,
        ),
      },
      body: delivery.body,
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // keep the text
    }
    return { status: response.status, body };
  };

  return {
    replicas,
    webhookSecret,
    add,
    token,
    answer,
    async everyReplicaAnswers(clientId, expected, timeoutMs = 15_000) {
      const last = new Map<RunningSidecar, string>();
      try {
        await waitUntil(
          `every replica to answer ${expected} for ${clientId}`,
          async () => {
            const answers = await Promise.all(replicas.map((replica) => answer(replica, clientId)));
            answers.forEach((value, i) => last.set(replicas[i]!, value));
            return answers.every((value) => value === expected);
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}; last answers: ${[...last.values()].join(', ')}`,
        );
      }
    },
    delivery(type, data) {
      return {
        id: `msg_${randomBytes(12).toString('hex')}`,
        body: JSON.stringify({ type, timestamp: new Date().toISOString(), data }),
      };
    },
    send,
    async sendUntilAccepted(replica, delivery, timeoutMs = 30_000) {
      const statuses: number[] = [];
      await waitUntil(
        `webhook ${delivery.id} to be accepted`,
        async () => {
          const { status } = await send(replica, delivery);
          statuses.push(status);
          if (status >= 200 && status < 300) return true;
          // A vendor backs off between retries (Retry-After: 1 on 503).
          await new Promise((resolve) => setTimeout(resolve, 200));
          return false;
        },
        timeoutMs,
      );
      return statuses;
    },
    storeStatus(replica) {
      return replica.authenticator.health().components['store']?.status ?? 'missing';
    },
    async close() {
      await Promise.all(replicas.map((replica) => replica.close()));
      await idp.close();
      await upstream.close();
    },
  };
}
