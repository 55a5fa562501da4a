import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { PortcullisError } from '@portcullis/core';
import type { SharedStore } from '@portcullis/core';
import { createRedisStore } from '@portcullis/redis';
import {
  MemoryLogger,
  REDIS_URL,
  RecordingSink,
  deletePrefix,
  freePort,
  killClientsNamed,
  rawClient,
  startRedisServer,
  stopRedisServer,
  uniquePrefix,
  waitFor,
} from './helpers.js';

const runPrefix = uniquePrefix();
const raw = rawClient();
const opened: SharedStore[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await Promise.all(children.splice(0).map((child) => stopRedisServer(child)));
});

afterAll(async () => {
  await deletePrefix(raw, runPrefix);
  await raw.quit();
});

function track(store: SharedStore): SharedStore {
  opened.push(store);
  return store;
}

const uniqueName = (): string => `portcullis-test-${randomBytes(4).toString('hex')}`;

async function expectUnavailable(operation: Promise<unknown>): Promise<void> {
  const error = await operation.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PortcullisError);
  expect(error).toMatchObject({ code: 'ERR_STORE_UNAVAILABLE', status: 503, retryAfterSec: 1 });
}

describe('reconnecting', () => {
  it('resyncs after its connections are killed, and the bus works again', async () => {
    const keyPrefix = `${runPrefix}kill:`;
    const clientName = uniqueName();
    const sink = new RecordingSink();
    const store = track(
      createRedisStore({ url: REDIS_URL, keyPrefix, clientName, reconnectMaxDelayMs: 100 }),
    );
    const peer = track(createRedisStore({ url: REDIS_URL, keyPrefix }));
    await store.start('replica-a', sink);
    await peer.start('replica-b', new RecordingSink());
    expect(sink.resyncs).toBe(0);

    expect(await killClientsNamed(raw, clientName)).toBe(2);
    await waitFor('a resync', () => sink.resyncs === 1);
    await waitFor('health ok', () => store.health().status === 'ok');

    await peer.publish({ v: 1, origin: 'replica-b', type: 'unlock', userId: 'after-reconnect' });
    await waitFor('the message after reconnect', () => sink.messages.length === 1);
    expect(sink.resyncs).toBe(1);
  });

  it('resyncs when only the subscriber connection drops', async () => {
    const keyPrefix = `${runPrefix}sub:`;
    const clientName = uniqueName();
    const sink = new RecordingSink();
    const store = track(
      createRedisStore({ url: REDIS_URL, keyPrefix, clientName, reconnectMaxDelayMs: 100 }),
    );
    await store.start('replica-a', sink);
    const list = (await raw.client('LIST')) as string;
    const subscriberLine = list
      .split('\n')
      .find((line) => line.includes(`name=${clientName} `) && / sub=1 /.test(line));
    const id = /(?:^|\s)id=(\d+)/.exec(subscriberLine ?? '')?.[1];
    expect(id).toBeDefined();
    await raw.client('KILL', 'ID', id!);
    await waitFor('a resync', () => sink.resyncs === 1);
  });

  it('retries a resync that failed while Redis stayed up', async () => {
    const clientName = uniqueName();
    const logger = new MemoryLogger();
    const sink = new RecordingSink();
    const store = track(
      createRedisStore({
        url: REDIS_URL,
        keyPrefix: `${runPrefix}retry:`,
        clientName,
        logger,
        reconnectMaxDelayMs: 100,
      }),
    );
    await store.start('replica-a', sink);
    sink.failNextResync = true;
    await killClientsNamed(raw, clientName);
    await waitFor('a second resync', () => sink.resyncs === 2);
    expect(logger.text()).toContain('resync after reconnect failed; retrying');
  });
});

describe('Redis absent', () => {
  it('starts degraded, fails fast, then connects and resyncs when Redis appears', async () => {
    const port = await freePort();
    const logger = new MemoryLogger();
    const sink = new RecordingSink();
    // Long timeouts: if start() or a command waited for them, this test would hit its own timeout.
    const store = track(
      createRedisStore({
        url: `redis://127.0.0.1:${port}`,
        keyPrefix: `${runPrefix}absent:`,
        connectTimeoutMs: 60_000,
        commandTimeoutMs: 60_000,
        reconnectMaxDelayMs: 100,
        sharedCache: true,
        logger,
      }),
    );
    await store.start('replica-a', sink);
    const health = store.health();
    expect(health.status).toBe('degraded');
    expect(health.detail).toMatch(/^redis unreachable: .*ECONNREFUSED/);

    const now = Date.now();
    const tombstone = {
      kind: 'revoke' as const,
      selector: { tokenId: 't' },
      revokedAt: now,
      expiresAt: now + 60_000,
    };
    await expectUnavailable(store.saveTombstone(tombstone));
    await expectUnavailable(store.loadTombstones());
    await expectUnavailable(store.publish({ v: 1, origin: 'replica-a', type: 'flush' }));
    await expectUnavailable(store.loadPolicy());
    await expectUnavailable(store.hasWebhookId('msg'));
    await expectUnavailable(store.sharedCache!.get('k'));
    expect(sink.resyncs).toBe(0);

    children.push(await startRedisServer(port));
    await waitFor('the late connection and its resync', () => sink.resyncs === 1);
    expect(store.health()).toEqual({ status: 'ok' });
    await store.saveTombstone(tombstone);
    expect(await store.loadTombstones()).toEqual([tombstone]);
    expect(logger.text()).toContain('redis unreachable at start');
  });

  it('degrades while its Redis is down and resyncs when it is back', async () => {
    const port = await freePort();
    children.push(await startRedisServer(port));
    const sink = new RecordingSink();
    const store = track(
      createRedisStore({
        url: `redis://127.0.0.1:${port}`,
        keyPrefix: `${runPrefix}restart:`,
        reconnectMaxDelayMs: 100,
      }),
    );
    await store.start('replica-a', sink);
    expect(store.health()).toEqual({ status: 'ok' });

    await stopRedisServer(children.pop());
    await waitFor('degraded health', () => store.health().status === 'degraded');
    await expectUnavailable(store.rememberWebhookId('msg', 1000));

    children.push(await startRedisServer(port));
    await waitFor('a resync', () => sink.resyncs === 1);
    await store.rememberWebhookId('msg', 1000);
    expect(await store.hasWebhookId('msg')).toBe(true);
  });
});

describe('credentials and closing', () => {
  it('uses the password and db from the URL and never logs or reports the password', async () => {
    const port = await freePort();
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const child = await startRedisServer(port, ['--requirepass', password]);
    children.push(child);
    const logger = new MemoryLogger();
    const sink = new RecordingSink();
    const store = track(
      createRedisStore({
        url: `redis://:${password}@127.0.0.1:${port}/3`,
        keyPrefix: 'p:',
        logger,
      }),
    );
    await store.start('replica-a', sink);
    expect(store.health()).toEqual({ status: 'ok' });
    await store.rememberWebhookId('msg', 10_000);
    const probe = new Redis({ port, host: '127.0.0.1', password, db: 3 });
    expect(await probe.dbsize()).toBe(1);
    await probe.quit();

    const wrong = track(
      createRedisStore({
        url: `redis://:wrong-${password}@127.0.0.1:${port}`,
        keyPrefix: 'p:',
        logger,
        reconnectMaxDelayMs: 100,
      }),
    );
    await wrong.start('replica-b', new RecordingSink());
    await waitFor('an auth error', () => wrong.health().status === 'degraded');
    const failure = await wrong.loadPolicy().catch((error: unknown) => error as Error);
    expect(JSON.stringify(wrong.health())).not.toContain(password);
    expect(String(failure)).not.toContain(password);
    expect(logger.text()).not.toContain(password);
  });

  it('close() ends both connections and later calls reject with ERR_CLOSED', async () => {
    const clientName = uniqueName();
    const store = createRedisStore({ url: REDIS_URL, keyPrefix: `${runPrefix}close:`, clientName });
    await store.start('replica-a', new RecordingSink());
    expect(((await raw.client('LIST')) as string).split(`name=${clientName} `).length - 1).toBe(2);
    await store.close();
    await waitFor(
      'connections gone',
      async () => !((await raw.client('LIST')) as string).includes(`name=${clientName} `),
    );
    expect(store.health().status).toBe('down');
    await expect(store.loadPolicy()).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    await expect(store.start('again', new RecordingSink())).rejects.toMatchObject({
      code: 'ERR_CLOSED',
    });
  });
});
