// Lua scripts of the Redis span log. Each touches the keys of ONE partition only (its stream
// and its backlog counter share the partition's hash tag, hence one Cluster slot) and runs
// atomically, so no reader, appender or other node can slip in between its steps.

import { LuaScript } from './connection.ts';

/**
 * Acknowledges entries and takes their spans off the partition's backlog counter.
 * KEYS: stream, counter. ARGV: group, then (id, span count) pairs; a count of -1 means "read
 * it from the entry's n field". Only entries this call really acknowledged are counted, so an
 * entry acked twice (by two nodes after a handoff) is subtracted once.
 * Returns { entries acked, spans subtracted }; {0, 0} when the group is gone (Redis lost it).
 */
export const ACK = new LuaScript(`
local acked, spans = 0, 0
for i = 2, #ARGV, 2 do
  local r = redis.pcall('XACK', KEYS[1], ARGV[1], ARGV[i])
  if type(r) == 'table' and r.err then return {0, 0} end
  if r == 1 then
    acked = acked + 1
    local n = tonumber(ARGV[i + 1])
    if n < 0 then
      n = 0
      local e = redis.call('XRANGE', KEYS[1], ARGV[i], ARGV[i])
      if e[1] and e[1][2] then
        local f = e[1][2]
        for j = 1, #f, 2 do if f[j] == 'n' then n = tonumber(f[j + 1]) or 0 end end
      end
    end
    spans = spans + n
  end
end
if spans > 0 and redis.call('DECRBY', KEYS[2], spans) < 0 then redis.call('SET', KEYS[2], 0) end
return {acked, spans}
`);

/**
 * The partition's un-acked span count. A stream with no entries holds nothing un-acked, so a
 * counter left over from a deleted or lost stream is reset here (self-healing).
 * KEYS: stream, counter.
 */
export const BACKLOG = new LuaScript(`
local n = tonumber(redis.call('GET', KEYS[2]) or '0')
if n ~= 0 and redis.call('XLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2])
  return 0
end
return n
`);

/**
 * Trims what every consumer group of the stream has acknowledged, and nothing else: XTRIM
 * MINID to the smallest id still pending in any group or, for a group with nothing pending,
 * to just past its last-delivered-id (every undelivered entry is newer than that).
 * KEYS: stream. Returns the number of entries removed (0 when the stream has no group).
 */
export const TRIM = new LuaScript(`
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[1])
if type(groups) ~= 'table' or groups.err or #groups == 0 then return 0 end
local minMs, minSeq
for _, g in ipairs(groups) do
  local name, pending, last
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1]
    elseif g[i] == 'pending' then pending = g[i + 1]
    elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
  end
  local ms, seq
  if pending > 0 then
    local summary = redis.call('XPENDING', KEYS[1], name)
    ms, seq = string.match(summary[2], '^(%d+)-(%d+)$')
    ms, seq = tonumber(ms), tonumber(seq)
  else
    ms, seq = string.match(last, '^(%d+)-(%d+)$')
    ms, seq = tonumber(ms), tonumber(seq) + 1
  end
  if minMs == nil or ms < minMs or (ms == minMs and seq < minSeq) then minMs, minSeq = ms, seq end
end
return redis.call('XTRIM', KEYS[1], 'MINID', string.format('%.0f-%.0f', minMs, minSeq))
`);
