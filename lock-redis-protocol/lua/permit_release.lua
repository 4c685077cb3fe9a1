-- Frees ARGV[1]'s live permit of the semaphore at KEYS[1] (fences at KEYS[2]) and wakes waiters (sent after
-- prelude parts it calls).
-- ARGV[1]: token; ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH (cluster); ARGV[3]: channel.
-- KEYS[3]: the holds hash a reader-writer lock of the same name would have (it must not).
-- Returns 1 when released, 0 when ARGV[1] held no live permit.
local wrong = unless_permits(KEYS[3])
if wrong then
  return wrong
end
local now = clock()
local expires = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not expires then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
settle(KEYS[1], KEYS[2], now)
if tonumber(expires) <= now then
  return 0
end
wake(ARGV[3], ARGV[2])
return 1
