// Public API of @portcullis/redis. Explicit named exports only (no `export *`).
export { createRedisStore } from './store.js';
export type { RedisNode, RedisStoreOptions, RedisTlsOptions } from './options.js';
