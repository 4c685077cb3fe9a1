-- Ends ARGV[1]'s hold on the reader-writer lock at KEYS[1] (hash KEYS[2]) and its waiting mark
-- at KEYS[3], and wakes waiters (sent after the prelude parts it calls). ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH; ARGV[3]:
-- channel. Returns 1 when a live hold was released, else 0.
local wrong = unless_rw(KEYS[1], KEYS[2])
if wrong then
  return wrong
end
local now = clock()
local tok = ARGV[1]
local released = 0
local expires = redis.call('ZSCORE', KEYS[1], tok)
if expires then
  redis.call('ZREM', KEYS[1], tok)
  redis.call('HDEL', KEYS[2], 't:' .. tok)
  for _, field in ipairs({'w', 'u'}) do
    if redis.call('HGET', KEYS[2], field) == tok then redis.call('HDEL', KEYS[2], field) end
  end
  settle(KEYS[1], KEYS[2], now)
  if tonumber(expires) > now then released = 1 end
end
local unmarked = false
if redis.call('GET', KEYS[3]) == tok then
  redis.call('DEL', KEYS[3])
  unmarked = true
end
if released == 1 or unmarked then
  wake(ARGV[3], ARGV[2])
end
return released
