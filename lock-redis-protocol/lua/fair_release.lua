-- Releases a fair lock and hands it to the first live waiter (sent after the prelude parts it
-- calls, grant.lua and fair.lua, which names KEYS[1..4]: the lock, its fencing counter, its
-- queue, its waiters); a token that does not hold it leaves the line instead.
-- KEYS[5]: its metadata hash, which goes with the hold.
-- ARGV[1]: token; ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH; ARGV[3]: the lock's
-- wake-up channel; ARGV[4]: '1' to issue fencing tokens; ARGV[5]: the counter's ttl in ms.
-- Returns 1 when released, 0 when the key did not hold the token.
local token = ARGV[1]
if redis.call('GET', lock) ~= token then
  if redis.call('ZREM', queue, token) == 1 then
    redis.call('HDEL', waiters, token)
  end
  return 0
end
redis.call('DEL', lock, KEYS[5])
-- The releasing token leaves the line too (it may have queued before it took the lock another
-- way), so the lock is never handed back to it: skipped if it comes first, removed with the
-- waiter the lock goes to otherwise. With nobody live ahead of it, the walk removed it already.
local head, handoff_ttl, _, t = first_live(token)
if head then
  hand_over(head, handoff_ttl, t, ARGV[4], ARGV[5], ARGV[3], ARGV[2], token)
else
  -- Nobody in line: wake whoever waits without queueing.
  wake(ARGV[3], ARGV[2])
end
return 1
