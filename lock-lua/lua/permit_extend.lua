-- Resets ARGV[1]'s live hold at KEYS[1] (a sorted set of tokens scored by expiry in ms: a
-- semaphore's permits or a reader-writer lock's holds) to expire ARGV[2] ms from now; KEYS[1]
-- and KEYS[2] (the permits' fences, or the holds' hash) keep living as long as the longest hold.
-- Never re-creates a hold. Returns 1 when extended, 0 when ARGV[1] held nothing live.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires or tonumber(expires) <= now then
  return 0
end
redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local keep = tonumber(last[2]) - now
redis.call('PEXPIRE', KEYS[1], keep)
redis.call('PEXPIRE', KEYS[2], keep)
return 1
