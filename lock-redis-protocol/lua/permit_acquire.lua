-- Takes a permit of the semaphore at KEYS[1] for ARGV[1] if fewer than ARGV[2] are held (or
-- renews ARGV[1]'s own). Sent after the prelude parts it calls.
-- KEYS[1]: the permits, a sorted set: member = holder's token, score = its expiry in ms on the
--          server's clock (TIME); the key expires with the longest lease.
-- KEYS[2]: each permit's fence, a hash token -> fence, expiring with KEYS[1].
-- KEYS[3]: the fencing counter, "<fence>:<token>" as for a lock, with a PX ttl of ARGV[5].
-- KEYS[4]: the holds hash a reader-writer lock of the same name would have (it must not).
-- ARGV[1]: token; ARGV[2]: limit; ARGV[3]: ttl in ms; ARGV[4]: '1' to issue fencing tokens;
-- ARGV[5]: the counter's ttl in ms.
-- Returns n >= 0: acquired with fence n (0 without fencing); n < 0: full, and the soonest
-- permit expires in -2 - n ms.
-- One keyspace: a reader-writer lock's holds hash beside the sorted set means it is not a
-- semaphore (a plain lock's string fails the sorted-set commands with WRONGTYPE by itself).
local wrong = unless_permits(KEYS[4])
if wrong then
  return wrong
end
local now, t = clock()
local gone = prune(KEYS[1], now)
-- Their fences, a thousand at a time: unpack fails past a few thousand values.
for i = 1, #gone, 1000 do
  redis.call('HDEL', KEYS[2], unpack(gone, i, math.min(i + 999, #gone)))
end
local renewing = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not renewing and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return -2 - (tonumber(first[2]) - now)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
-- (The fences' hash is kept alive below, and only with fencing: without it there is none.)
local keep = keep_longest(KEYS[1], nil, now)
if ARGV[4] ~= '1' then
  return 0
end
if renewing then
  local own = redis.call('HGET', KEYS[2], ARGV[1])
  if own then
    redis.call('PEXPIRE', KEYS[2], keep)
    return tonumber(own)
  end
end
local fence = issue(KEYS[3], ARGV[1], ARGV[5], t)
redis.call('HSET', KEYS[2], ARGV[1], fence)
redis.call('PEXPIRE', KEYS[2], keep)
return fence
