-- Resets ARGV[1]'s live hold at KEYS[1] (a sorted set of tokens scored by expiry in ms: a
-- semaphore's permits or a reader-writer lock's holds) to expire ARGV[2] ms from now; KEYS[1]
-- and KEYS[2] (the permits' fences, or the holds' hash) keep living as long as the longest hold.
-- Never re-creates a hold. Sent after the prelude parts it calls. Returns 1 when extended, 0 when ARGV[1] held nothing live.
-- ARGV[3]: 'p' for a semaphore (KEYS[3]: the holds hash a reader-writer lock of the same name
-- would have; it must not), 'r' for a reader-writer lock (KEYS[2] is its holds hash).
local wrong
if ARGV[3] == 'p' then
  wrong = unless_permits(KEYS[3])
else
  wrong = unless_rw(KEYS[1], KEYS[2])
end
if wrong then
  return wrong
end
local now = clock()
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires or tonumber(expires) <= now then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
keep_longest(KEYS[1], KEYS[2], now)
return 1
