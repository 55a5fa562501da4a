/**
 * Test doubles for the authenticator's own tests: a real `Provider` implementation backed by an
 * in-memory credential table (the IdP's "database"), with call counters, injectable failures and a
 * gate that holds verifications open. The oauth2/frontegg presets have their own integration tests.
 */
import { PortcullisError } from '../src/errors.js';
import type { ErrorCode } from '../src/errors.js';
import type {
  Provider,
  ProviderContext,
  VerifiedCredential,
  VerifyContext,
} from '../src/provider.js';
import type {
  BusMessage,
  SharedCacheEntry,
  SharedPrincipalCache,
  SharedStore,
  StoreSink,
} from '../src/store.js';
import type {
  ComponentHealth,
  CredentialKind,
  ExtractedCredential,
  PolicyObservation,
  PolicyState,
  Principal,
  RequestLike,
  Selector,
  TenantWatch,
  Tombstone,
} from '../src/types.js';

export const T0 = Date.UTC(2026, 0, 1);

/** A manual clock: `now()` for the authenticator, `advance(ms)` for the test. */
export class Clock {
  ms: number;
  constructor(start = T0) {
    this.ms = start;
  }
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
  get sec(): number {
    return Math.floor(this.ms / 1000);
  }
}

export interface PrincipalSpec {
  subject?: string;
  clientId?: string;
  tokenId?: string;
  tenantId?: string;
  userId?: string;
  credential?: CredentialKind;
  issuedAt?: number;
  expiresAt?: number;
  permissions?: string[];
}

export function makePrincipal(spec: PrincipalSpec = {}): Principal {
  const credential = spec.credential ?? 'access_token';
  return Object.freeze({
    subject: spec.subject ?? spec.clientId ?? 'machine-1',
    ...(spec.clientId === undefined ? {} : { clientId: spec.clientId }),
    ...(spec.tokenId === undefined ? {} : { tokenId: spec.tokenId }),
    ...(spec.tenantId === undefined ? {} : { tenantId: spec.tenantId }),
    ...(spec.userId === undefined ? {} : { userId: spec.userId }),
    ...(spec.issuedAt === undefined ? {} : { issuedAt: spec.issuedAt }),
    ...(spec.expiresAt === undefined ? {} : { expiresAt: spec.expiresAt }),
    ownerKind: spec.userId === undefined ? 'tenant' : 'user',
    credential,
    permissions: Object.freeze(spec.permissions ?? []),
    roles: Object.freeze([]),
    scopes: Object.freeze([]),
    claims: Object.freeze({}),
  });
}

interface Registered {
  readonly principal: Principal;
  readonly checkedOnline: boolean;
  readonly maxTtlMs?: number;
}

/** A controllable promise: verifications wait on it until the test releases them. */
export class Gate {
  #release!: () => void;
  readonly promise: Promise<void>;
  constructor() {
    this.promise = new Promise<void>((resolve) => {
      this.#release = resolve;
    });
  }
  open(): void {
    this.#release();
  }
}

/** An in-memory IdP. Unknown credentials get the IdP's negative verdicts. */
export class TestProvider implements Provider {
  readonly name: string = 'test';
  calls = 0;
  open = 0;
  maxOpen = 0;
  closed = false;
  /** When set, every verification fails with this (non-negative) code. */
  failWith: ErrorCode | undefined;
  /** When set, verifications wait for it (or for their abort signal). */
  gate: Gate | undefined;
  context: ProviderContext | undefined;
  readonly seenSignals: AbortSignal[] = [];
  readonly #tokens = new Map<string, Registered>();
  readonly #clients = new Map<string, { secret: string; entry: Registered }>();

  init(context: ProviderContext): void {
    this.context = context;
  }

  addToken(
    token: string,
    principal: Principal,
    options: { checkedOnline?: boolean; maxTtlMs?: number } = {},
  ): void {
    this.#tokens.set(token, {
      principal,
      checkedOnline: options.checkedOnline ?? false,
      ...(options.maxTtlMs === undefined ? {} : { maxTtlMs: options.maxTtlMs }),
    });
  }

  removeToken(token: string): void {
    this.#tokens.delete(token);
  }

  addClient(clientId: string, secret: string, principal: Principal): void {
    this.#clients.set(clientId, { secret, entry: { principal, checkedOnline: true } });
  }

  async verify(
    credential: ExtractedCredential,
    context: VerifyContext,
  ): Promise<VerifiedCredential> {
    this.calls++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    this.seenSignals.push(context.signal);
    try {
      if (this.gate !== undefined) await waitFor(this.gate.promise, context.signal);
      if (this.failWith !== undefined) {
        throw new PortcullisError(this.failWith, 'test IdP failure');
      }
      if (credential.form === 'basic') {
        const client = this.#clients.get(credential.clientId);
        if (client === undefined || client.secret !== credential.secret) {
          throw new PortcullisError('ERR_CLIENT_CREDENTIALS_INVALID', 'Invalid client credentials');
        }
        return client.entry;
      }
      const entry = this.#tokens.get(credential.token);
      if (entry === undefined)
        throw new PortcullisError('ERR_TOKEN_INACTIVE', 'The token is not active');
      return entry;
    } finally {
      this.open--;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A provider with a settings source (like Frontegg's configurations route). */
export class PolicyTestProvider extends TestProvider {
  override readonly name: string = 'policy-test';
  policy: PolicyObservation = {
    enabled: true,
    acceptedCredentials: ['client_credentials', 'access_token'],
  };
  reads = 0;
  readFails = false;
  readGate: Gate | undefined;

  async readPolicy(signal: AbortSignal): Promise<PolicyObservation> {
    this.reads++;
    if (this.readGate !== undefined) await waitFor(this.readGate.promise, signal);
    if (this.readFails) throw new PortcullisError('ERR_IDP_UNAVAILABLE', 'settings route down');
    return this.policy;
  }
}

function waitFor(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    promise.then(resolve, reject);
  });
}

export function bearer(token: string): RequestLike {
  return { headers: { authorization: `Bearer ${token}` }, url: '/orders' };
}

export function apiKey(token: string): RequestLike {
  return { headers: { 'x-api-key': token }, url: '/orders' };
}

export function basic(clientId: string, secret: string): RequestLike {
  const value = Buffer.from(`${clientId}:${secret}`, 'utf8').toString('base64');
  return { headers: { authorization: `Basic ${value}` }, url: '/orders' };
}

/** Resolves with the PortcullisError code a promise rejected with (fails the test if it resolved). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof PortcullisError) return error.code;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Polls until `check` passes or the deadline is reached (no sleeps as assertions). */
export async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met before the deadline');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * An in-process `SharedStore` (what `@portcullis/redis` does over Redis): records what the
 * authenticator stores and publishes, can be made to fail, and can deliver remote messages.
 */
export class MemoryStore implements SharedStore {
  readonly tombstones = new Map<string, Tombstone>();
  readonly watches = new Map<string, TenantWatch>();
  readonly published: BusMessage[] = [];
  readonly webhookIds = new Set<string>();
  policy: PolicyState | undefined;
  sink: StoreSink | undefined;
  origin: string | undefined;
  failing = false;
  closed = false;
  sharedCache?: MemorySharedCache;

  constructor(options: { sharedCache?: boolean } = {}) {
    if (options.sharedCache === true) this.sharedCache = new MemorySharedCache();
  }

  async start(originId: string, sink: StoreSink): Promise<void> {
    this.origin = originId;
    this.sink = sink;
  }
  async saveTombstone(tombstone: Tombstone): Promise<void> {
    this.#check();
    this.tombstones.set(tombstoneKey(tombstone), tombstone);
  }
  async deleteTombstone(tombstone: Tombstone): Promise<void> {
    this.#check();
    this.tombstones.delete(tombstoneKey(tombstone));
  }
  async loadTombstones(): Promise<readonly Tombstone[]> {
    this.#check();
    return [...this.tombstones.values()];
  }
  async saveWatch(watch: TenantWatch): Promise<void> {
    this.#check();
    const stored = this.watches.get(watch.tenantId);
    this.watches.set(watch.tenantId, {
      tenantId: watch.tenantId,
      startedAt: Math.max(watch.startedAt, stored?.startedAt ?? 0),
      expiresAt: Math.max(watch.expiresAt, stored?.expiresAt ?? 0),
    });
  }
  async loadWatches(): Promise<readonly TenantWatch[]> {
    this.#check();
    return [...this.watches.values()].filter((watch) => watch.expiresAt > Date.now());
  }
  async savePolicy(state: PolicyState): Promise<PolicyState> {
    this.#check();
    const current = this.policy;
    if (
      current === undefined ||
      state.version.at > current.version.at ||
      (state.version.at === current.version.at && state.version.origin > current.version.origin)
    ) {
      this.policy = state;
    }
    return this.policy as PolicyState;
  }
  async loadPolicy(): Promise<PolicyState | undefined> {
    this.#check();
    return this.policy;
  }
  async publish(message: BusMessage): Promise<void> {
    this.#check();
    this.published.push(message);
  }
  readonly leases = new Map<string, number>();
  async acquireLease(name: string, ttlMs: number): Promise<boolean> {
    this.#check();
    const held = this.leases.get(name);
    if (held !== undefined && held > Date.now()) return false;
    this.leases.set(name, Date.now() + ttlMs);
    return true;
  }
  async hasWebhookId(id: string): Promise<boolean> {
    this.#check();
    return this.webhookIds.has(id);
  }
  async rememberWebhookId(id: string): Promise<void> {
    this.#check();
    this.webhookIds.add(id);
  }
  health(): ComponentHealth {
    return this.failing ? { status: 'degraded', detail: 'store unreachable' } : { status: 'ok' };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
  #check(): void {
    if (this.failing) throw new Error('store unreachable');
  }
}

export class MemorySharedCache implements SharedPrincipalCache {
  readonly entries = new Map<string, SharedCacheEntry>();
  gets = 0;
  async get(key: string): Promise<SharedCacheEntry | undefined> {
    this.gets++;
    return this.entries.get(key);
  }
  async set(key: string, entry: SharedCacheEntry): Promise<void> {
    this.entries.set(key, entry);
  }
  async deleteMatching(selector: Selector): Promise<void> {
    for (const [key, entry] of this.entries) {
      const p = entry.principal;
      const s = selector as Record<string, unknown>;
      const matches =
        s.all === true ||
        (['tokenId', 'clientId', 'userId', 'tenantId', 'credential'] as const).every(
          (field) => s[field] === undefined || s[field] === p[field],
        );
      if (matches) this.entries.delete(key);
    }
  }
  async clear(): Promise<void> {
    this.entries.clear();
  }
}

function tombstoneKey(tombstone: Tombstone): string {
  return `${tombstone.kind}:${JSON.stringify(tombstone.selector)}`;
}
