-- Releases a fair lock and hands it to the first live waiter (sent after the prelude parts it calls,
-- grant.lua and fair.lua); a token that does not hold it leaves the line instead.
-- KEYS[1]: the lock; KEYS[2]: its fencing counter; KEYS[3]: its queue; KEYS[4]: its waiters;
-- KEYS[5]: its metadata hash, which goes with the hold.
-- ARGV[1]: token; ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH; ARGV[3]: the lock's
-- wake-up channel; ARGV[4]: '1' to issue fencing tokens; ARGV[5]: the counter's ttl in ms.
-- Returns 1 when released, 0 when the key did not hold the token.
local lock, counter, queue, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local token = ARGV[1]
if redis.call('GET', lock) ~= token then
  if redis.call('ZREM', queue, token) == 1 then
    redis.call('HDEL', waiters, token)
  end
  return 0
end
redis.call('DEL', lock, KEYS[5])
-- The releasing token leaves the line too (it may have queued before it took the lock another
-- way), so the lock is never handed back to it.
if redis.call('ZREM', queue, token) == 1 then
  redis.call('HDEL', waiters, token)
end
if not hand_over(lock, counter, queue, waiters, ARGV[4], ARGV[5], ARGV[3], ARGV[2]) then
  -- Nobody in line: wake whoever waits without queueing.
  wake(ARGV[3], ARGV[2])
end
return 1
