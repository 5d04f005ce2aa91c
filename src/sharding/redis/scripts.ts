// Lua scripts of the Redis cluster registry. Membership keys share the `{members}` hash tag;
// a partition's lease and fence counter share its `{p<N>}` tag with its span-log stream, so
// every script touches one Cluster slot. Times come from the Redis server's clock (TIME and
// key TTLs), never from a node's, so nodes with skewed clocks still agree on who is alive.
import { LuaScript } from '../../store/redis/connection.ts';

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: live zset, info hash. ARGV: id, ttl ms, meta JSON. Prunes the dead on the way. */
export const HEARTBEAT = new LuaScript(`${NOW_MS}
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, id in ipairs(dead) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return now
`);

/** KEYS: live zset, info hash. Returns id, ms left, meta JSON for every live member. */
export const MEMBERS = new LuaScript(`${NOW_MS}
local rows = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #rows, 2 do
  out[#out + 1] = rows[i]
  out[#out + 1] = tostring(math.floor(tonumber(rows[i + 1]) - now))
  out[#out + 1] = redis.call('HGET', KEYS[2], rows[i]) or '{}'
end
return out
`);

/** KEYS: live zset, info hash. ARGV: id. */
export const LEAVE = new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
`);

/**
 * KEYS: lease, fence counter. ARGV: owner, ttl ms. Takes a free lease with the next token:
 * {1, token}; a held one is left alone: {0, "owner token", ms left}. The token is above the
 * counter and at least the Redis clock in ms, so a Redis that lost its counter (no AOF, or the
 * last second of appendfsync everysec) still hands out tokens above every one the PostgreSQL
 * write fence has seen (ADR 010): the counter may be lost, time does not go back.
 */
export const ACQUIRE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur then return {0, cur, redis.call('PTTL', KEYS[1])} end
${NOW_MS}
local token = string.format('%.0f', math.max((tonumber(redis.call('GET', KEYS[2])) or 0) + 1, now))
redis.call('SET', KEYS[2], token)
redis.call('SET', KEYS[1], ARGV[1] .. ' ' .. token, 'PX', ARGV[2])
return {1, token}
`);

/** KEYS: lease. ARGV: "owner token", ttl ms. 1 when extended, 0 when the lease is not that one. */
export const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** KEYS: lease. ARGV: "owner token". Deletes the lease only if it is still that one. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/** KEYS: lease. {"owner token" or false, ms left}. */
export const HOLDER = new LuaScript(`
return {redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`);
