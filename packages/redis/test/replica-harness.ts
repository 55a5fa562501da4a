/**
 * Test side of the multi-process replica tests: builds the packages' dist, serves a JWKS, mints
 * RS256 tokens, signs Standard Webhooks deliveries by hand (per the spec, independently of core's
 * signer) and drives `fixtures/replica.mjs` children over their loopback control API.
 */
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { HealthReport, PolicyState } from '@portcullis/core';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/replica.mjs', import.meta.url));

/** The children run built JS: compile core and redis (incremental, so cheap when up to date). */
export async function buildDist(): Promise<void> {
  await promisify(execFile)('npx', ['tsc', '-b', 'packages/core', 'packages/redis'], {
    cwd: REPO_ROOT,
  });
}

export interface Issuer {
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  mint(claims: { tokenId: string; clientId: string; tenantId: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startIssuer(): Promise<Issuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  const server: Server = createServer((request, response) => {
    if (request.url !== '/jwks.json') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const audience = 'https://api.example.test';
  return {
    jwksUrl: `${base}/jwks.json`,
    issuer: base,
    audience,
    mint: ({ tokenId, clientId, tenantId }) =>
      new SignJWT({ client_id: clientId, tenant_id: tenantId })
        .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
        .setIssuer(base)
        .setAudience(audience)
        .setSubject(clientId)
        .setJti(tokenId)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A `whsec_` secret and a signer following the Standard Webhooks spec. */
export function standardWebhooks(): {
  secret: string;
  sign(type: string, data: object, id?: string): SignedDelivery;
} {
  const key = randomBytes(32);
  return {
    secret: `whsec_${key.toString('base64')}`,
    sign(type, data, id = `msg_${randomUUID()}`) {
      const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = createHmac('sha256', key)
        .update(`${id}.${timestamp}.${body}`)
        .digest('base64');
      return {
        body,
        headers: {
          'webhook-id': id,
          'webhook-timestamp': timestamp,
          'webhook-signature': `v1,${signature}`,
        },
      };
    },
  };
}

export interface SignedDelivery {
  readonly body: string;
  readonly headers: Record<string, string>;
}

export interface ReplicaConfig {
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly originId: string;
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  readonly webhookSecret: string;
  readonly keySecret: string;
  readonly cacheTtlMs: number;
}

export type AuthAnswer =
  { ok: true; subject: string } | { ok: false; code: string; status: number };

export interface ReplicaState {
  readonly health: HealthReport;
  readonly policy: PolicyState;
  readonly syncs: number;
}

export class Replica {
  readonly #child: ChildProcess;
  readonly #base: string;
  readonly #stderr: string[];
  readonly originId: string;

  private constructor(child: ChildProcess, port: number, stderr: string[], originId: string) {
    this.#child = child;
    this.#base = `http://127.0.0.1:${port}`;
    this.#stderr = stderr;
    this.originId = originId;
  }

  /** Starts a replica and resolves once its first store sync has settled. */
  static async start(config: ReplicaConfig): Promise<Replica> {
    const child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], {
      cwd: REPO_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const stderr: string[] = [];
    child.stderr!.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error('replica did not start in time')), 20_000);
      function fail(error: Error): void {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${error.message}\n${stderr.join('')}`));
      }
      child.stdout!.setEncoding('utf8').on('data', (text: string) => {
        out += text;
        const line = out.split('\n').find((candidate) => candidate.startsWith('{'));
        if (line === undefined || !out.includes('\n')) return;
        clearTimeout(timer);
        resolve((JSON.parse(line) as { port: number }).port);
      });
      child.once('exit', (code) => fail(new Error(`replica exited with ${code}`)));
    });
    return new Replica(child, port, stderr, config.originId);
  }

  async authenticate(token: string): Promise<AuthAnswer> {
    return this.#post('/authenticate', { token }) as Promise<AuthAnswer>;
  }

  async webhook(
    delivery: SignedDelivery,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.#post('/webhook', delivery) as Promise<{
      status: number;
      body: Record<string, unknown>;
    }>;
  }

  async revoke(selector: Record<string, string>): Promise<{ ok: boolean; code?: string }> {
    return this.#post('/revoke', { selector }) as Promise<{ ok: boolean; code?: string }>;
  }

  async state(): Promise<ReplicaState> {
    const response = await fetch(`${this.#base}/state`);
    return (await response.json()) as ReplicaState;
  }

  /** What the child wrote to stderr (warnings), for failure messages. */
  get log(): string {
    return this.#stderr.join('');
  }

  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async #post(path: string, body: unknown): Promise<unknown> {
    const response = await fetch(`${this.#base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 200)
      throw new Error(`replica ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  }
}
