import { describe, expect, it } from 'vitest';
import { PortcullisError } from '@portcullis/core';
import { createRedisStore } from '@portcullis/redis';
import type { RedisStoreOptions } from '@portcullis/redis';
import { RecordingSink } from './helpers.js';

function optionError(options: unknown): PortcullisError {
  try {
    createRedisStore(options as RedisStoreOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(PortcullisError);
    return error as PortcullisError;
  }
  throw new Error('expected createRedisStore to throw');
}

describe('createRedisStore options', () => {
  const bad: [string, Record<string, unknown>][] = [
    ['url', { url: 'http://127.0.0.1:6379' }],
    ['url', { url: '' }],
    ['url', { url: 'redis://:hunter2@[not a host' }],
    ['url', { url: 'redis://127.0.0.1:6379/zero' }],
    ['keyPrefix', { keyPrefix: '' }],
    ['keyPrefix', { keyPrefix: 'has space:' }],
    ['keyPrefix', { keyPrefix: 'x'.repeat(129) }],
    ['sharedCache', { sharedCache: 'yes' }],
    ['logger', { logger: { info: () => undefined } }],
    ['connectTimeoutMs', { connectTimeoutMs: 0 }],
    ['connectTimeoutMs', { connectTimeoutMs: 1.5 }],
    ['commandTimeoutMs', { commandTimeoutMs: -1 }],
    ['commandTimeoutMs', { commandTimeoutMs: Number.NaN }],
    ['reconnectMaxDelayMs', { reconnectMaxDelayMs: 10 ** 9 }],
    ['clientName', { clientName: 'two words' }],
    ['clientName', { clientName: '' }],
    ['maxMessageBytes', { maxMessageBytes: 10 }],
    ['now', { now: 5 }],
    ['url/cluster', { url: 'redis://127.0.0.1:6379', cluster: ['127.0.0.1:7000'] }],
    ['cluster/sentinels', { cluster: ['a:1'], sentinels: ['b:2'], name: 'm' }],
    ['cluster', { cluster: [] }],
    ['cluster', { cluster: 'a:1,b:2' }],
    ['cluster[0]', { cluster: ['no-port'] }],
    ['cluster[1]', { cluster: ['a:1', 'b:99999'] }],
    ['cluster[0]', { cluster: [{ host: '', port: 1 }] }],
    ['cluster[0]', { cluster: ['bad host:1'] }],
    // Cluster: every key must hash to one slot, so the prefix must fix the hash tag.
    ['keyPrefix', { cluster: ['a:1'], keyPrefix: 'portcullis:' }],
    ['keyPrefix', { cluster: ['a:1'], keyPrefix: '{}portcullis:' }],
    ['keyPrefix', { cluster: ['a:1'], keyPrefix: 'portcullis:{' }],
    ['name', { sentinels: ['127.0.0.1:26379'] }],
    ['name', { sentinels: ['127.0.0.1:26379'], name: 'two words' }],
    ['name', { url: 'redis://127.0.0.1', name: 'mymaster' }],
    ['sentinels[0]', { sentinels: ['127.0.0.1'], name: 'mymaster' }],
    ['sentinelPassword', { cluster: ['a:1'], sentinelPassword: 'x' }],
    ['password', { cluster: ['a:1'], password: '' }],
    ['tls', { cluster: ['a:1'], tls: 'yes' }],
    ['tls.ca', { cluster: ['a:1'], tls: { ca: 5 } }],
  ];
  it.each(bad)('rejects a bad %s with ERR_INVALID_OPTION naming it', (option, options) => {
    const error = optionError(options);
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.details).toEqual({ option });
    expect(error.message).toContain(`option ${option} `);
  });

  it('never echoes the URL, which may carry a password', () => {
    const error = optionError({ url: 'http://user:hunter2@127.0.0.1:6379' });
    expect(error.message).not.toContain('hunter2');
    expect(JSON.stringify(error)).not.toContain('hunter2');
  });

  it('accepts the documented forms and connects nothing before start()', () => {
    for (const url of [
      'redis://127.0.0.1:6379',
      'rediss://user:pw@cache.example:6380/2',
      'redis://localhost',
    ]) {
      const store = createRedisStore({
        url,
        keyPrefix: '{orders}:',
        sharedCache: true,
        clientName: 'orders-api-1',
      });
      expect(store.health()).toEqual({ status: 'starting', detail: 'not started' });
    }
  });

  it('takes a cluster (default prefix {portcullis}:) or sentinels + name, with auth and TLS', () => {
    const stores = [
      createRedisStore({ cluster: ['127.0.0.1:7000', { host: '::1', port: 7001 }, '[::1]:7002'] }),
      createRedisStore({
        cluster: ['redis-0.redis:6379'],
        keyPrefix: 'orders:{orders-api}:',
        username: 'portcullis',
        password: 'hunter2',
        tls: { ca: '-----BEGIN CERTIFICATE-----', servername: 'redis.internal' },
      }),
      createRedisStore({
        sentinels: ['127.0.0.1:26379', 'sentinel-1:26379'],
        name: 'mymaster',
        password: 'hunter2',
        sentinelPassword: 'hunter3',
        tls: true,
      }),
    ];
    for (const store of stores) {
      expect(store.health()).toEqual({ status: 'starting', detail: 'not started' });
    }
  });

  it('never echoes a password', () => {
    const error = optionError({ cluster: ['a:1'], password: 5, keyPrefix: '{x}:' });
    expect(error.details).toEqual({ option: 'password' });
    const named = optionError({
      sentinels: ['a:1'],
      name: 'm',
      sentinelPassword: 'hunter2',
      cluster: ['b:1'],
    });
    expect(JSON.stringify(named)).not.toContain('hunter2');
  });

  it('rejects a bad origin id and a second start()', async () => {
    const store = createRedisStore({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'portcullis-test:options:',
    });
    await expect(store.start('', new RecordingSink())).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await store.start('replica-a', new RecordingSink());
    await expect(store.start('replica-a', new RecordingSink())).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await store.close();
  });
});
