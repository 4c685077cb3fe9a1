-- Takes every lock of a set, or none (sent after the prelude parts it calls and grant.lua).
-- KEYS: lock 1, its fencing counter, its waiter mark, lock 2, ... (one cluster slot).
-- ARGV[1]: ttl in ms; ARGV[2]: '1' to issue fencing tokens; ARGV[3]: the counters' ttl in ms;
-- ARGV[4...]: each lock's token, in order.
-- Returns {1, fence 1, fence 2, ...} when every lock was granted (as `grant` grants each), or
-- {0, i, pttl} when lock i (from 0) is held by another token: then nothing was changed but
-- that lock's waiter mark (see the prelude's `mark_waiting`).
local n = #KEYS / 3
for i = 1, n do
  local lock = KEYS[3 * i - 2]
  local holder = redis.call('GET', lock)
  if holder and holder ~= ARGV[3 + i] then
    return {0, i - 1, mark_waiting(lock, KEYS[3 * i], ARGV[1])}
  end
end
local reply = {1}
for i = 1, n do
  reply[i + 1] = grant(KEYS[3 * i - 2], KEYS[3 * i - 1], ARGV[3 + i], ARGV[1], ARGV[2], ARGV[3])
end
return reply
