-- Takes every lock of a set, or none (sent after prelude.lua and grant.lua).
-- KEYS: lock 1, its fencing counter, lock 2, its counter, ... (one cluster slot).
-- ARGV[1]: ttl in ms; ARGV[2]: '1' to issue fencing tokens; ARGV[3]: the counters' ttl in ms;
-- ARGV[4...]: each lock's token, in order.
-- Returns {1, fence 1, fence 2, ...} when every lock was granted (as `grant` grants each), or
-- {0, i, pttl} when lock i (from 0) is held by another token: then nothing was changed.
local n = #KEYS / 2
for i = 1, n do
  local holder = redis.call('GET', KEYS[2 * i - 1])
  if holder and holder ~= ARGV[3 + i] then
    return {0, i - 1, redis.call('PTTL', KEYS[2 * i - 1])}
  end
end
local reply = {1}
for i = 1, n do
  reply[i + 1] = grant(KEYS[2 * i - 1], KEYS[2 * i], ARGV[3 + i], ARGV[1], ARGV[2], ARGV[3])
end
return reply
