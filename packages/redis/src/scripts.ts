/**
 * Lua scripts: the operations that must be atomic in Redis. Each runs by EVALSHA with an EVAL
 * fallback (the script cache is empty after a Redis restart). Every key a script touches is passed
 * in KEYS, so a hash-tagged prefix keeps them in one Cluster slot.
 */
import { createHash } from 'node:crypto';
import type { Commands } from './clients.js';

export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(
    redis: Commands,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> {
    try {
      return await redis.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Drops expired tombstones from the three structures; at most ARGV-given many per call so one
 * call never blocks Redis for long. Shared by the save and load scripts.
 */
const PRUNE_TOMBSTONES = `
local function prune(now, limit)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)
  for _, id in ipairs(expired) do
    redis.call('HDEL', KEYS[1], id)
    redis.call('ZREM', KEYS[2], id)
    redis.call('ZREM', KEYS[3], id)
  end
end
`;

/**
 * KEYS: bodies hash, expiries zset, revokedAt zset. ARGV: id, body JSON, revokedAt, expiresAt, now.
 * The same selector revoked twice keeps one entry with the later revokedAt and expiresAt (ZADD GT),
 * which rejects at least what either did. The keys expire with their longest-lived tombstone.
 */
export const SAVE_TOMBSTONE = new LuaScript(`${PRUNE_TOMBSTONES}
local now = tonumber(ARGV[5])
if tonumber(ARGV[4]) <= now then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'GT', ARGV[4], ARGV[1])
redis.call('ZADD', KEYS[3], 'GT', ARGV[3], ARGV[1])
prune(ARGV[5], 100)
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] then
  local ttl = math.ceil(tonumber(last[2]) - now)
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`);

/**
 * KEYS: as above. ARGV: now. Returns { bodies (flat HGETALL), expiries (id, score…), revokedAt (id, score…) }.
 */
export const LOAD_TOMBSTONES = new LuaScript(`${PRUNE_TOMBSTONES}
prune(ARGV[1], 10000)
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[1], '+inf', 'WITHSCORES'),
  redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
}
`);

/**
 * Deletion watches: one hash, tenant id → `{"startedAt":…,"expiresAt":…}`. KEYS: watches hash.
 * ARGV: tenant id, startedAt, expiresAt, now. The later start and the later end win; expired
 * entries are dropped; the hash expires with its longest-lived watch.
 */
export const SAVE_WATCH = new LuaScript(`
local now = tonumber(ARGV[4])
local started = tonumber(ARGV[2])
local expires = tonumber(ARGV[3])
if expires <= now then return 0 end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, old = pcall(cjson.decode, current)
  if ok and type(old) == 'table' then
    if tonumber(old.startedAt) and tonumber(old.startedAt) > started then started = tonumber(old.startedAt) end
    if tonumber(old.expiresAt) and tonumber(old.expiresAt) > expires then expires = tonumber(old.expiresAt) end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('{"startedAt":%d,"expiresAt":%d}', started, expires))
local ttl = math.ceil(expires - now)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`);

/**
 * Newest policy wins (docs/design.md §1): compare version.at, then origin bytewise. KEYS: policy hash.
 * ARGV: at, origin, state JSON. Returns the state JSON stored after the call.
 */
export const SAVE_POLICY = new LuaScript(`
local function compare_bytes(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y and -1 or 1 end
  end
  if #a == #b then return 0 end
  return #a < #b and -1 or 1
end
local current = redis.call('HMGET', KEYS[1], 'at', 'origin', 'state')
local at = tonumber(ARGV[1])
local current_at = tonumber(current[1])
if current[3] and current_at and current[2] then
  if current_at > at or (current_at == at and compare_bytes(current[2], ARGV[2]) >= 0) then
    return current[3]
  end
end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'origin', ARGV[2], 'state', ARGV[3])
return ARGV[3]
`);

/**
 * KEYS: entry key, then the index sets of the principal. ARGV: entry JSON, ttl ms, cache key.
 * Each index set lives at least as long as the entries it lists.
 */
export const SET_CACHE_ENTRY = new LuaScript(`
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`);
