-- Deletes the lock at KEYS[1] if ARGV[1] holds it, and wakes its waiters (sent after prelude.lua).
-- KEYS[2]: optional, the lock's metadata hash, deleted with it.
-- ARGV[1]: token; ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH (cluster); ARGV[3]: channel.
-- Returns 1 when released, 0 when the key did not hold the token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if KEYS[2] then
  redis.call('DEL', KEYS[1], KEYS[2])
else
  redis.call('DEL', KEYS[1])
end
wake(ARGV[3], ARGV[2])
return 1
