/** The sidecar's Redis settings → `createRedisStore` options (one of url / cluster / sentinels). */
import { readFileSync } from 'node:fs';
import { PortcullisError } from '@portcullis/core';
import type { RedisStoreOptions } from '@portcullis/redis';
import type { RedisConfig } from './sidecar-config.js';

/** Reads the TLS CA file here, at start, so a missing file stops the sidecar with its variable named. */
export function redisStoreOptions(
  redis: RedisConfig,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): RedisStoreOptions {
  const tls =
    redis.tlsCaFile !== undefined ? { ca: readCaFile(redis.tlsCaFile, readFile) } : redis.tls;
  return {
    ...(redis.url === undefined ? {} : { url: redis.url }),
    ...(redis.clusterNodes === undefined ? {} : { cluster: redis.clusterNodes }),
    ...(redis.sentinels === undefined ? {} : { sentinels: redis.sentinels }),
    ...(redis.sentinelName === undefined ? {} : { name: redis.sentinelName }),
    ...(redis.sentinelPassword === undefined ? {} : { sentinelPassword: redis.sentinelPassword }),
    ...(redis.username === undefined ? {} : { username: redis.username }),
    ...(redis.password === undefined ? {} : { password: redis.password }),
    // A rediss:// URL turns TLS on by itself; `false` must not switch it off.
    ...(tls === false ? {} : { tls }),
    keyPrefix: redis.keyPrefix,
  };
}

function readCaFile(path: string, readFile: (path: string) => string): string {
  try {
    return readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new PortcullisError(
      'ERR_INVALID_OPTION',
      `option PORTCULLIS_REDIS_TLS_CA_FILE: cannot read ${path}: ${String(code ?? 'unreadable')}`,
      { details: { option: 'PORTCULLIS_REDIS_TLS_CA_FILE' } },
    );
  }
}
