-- Resets the ttl of the lock at KEYS[1] to ARGV[2] ms if ARGV[1] holds it; never re-creates it.
-- KEYS[2]: optional, the lock's metadata hash, whose ttl follows the lock's.
-- Returns 1 when extended, 0 when the key did not hold the token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if KEYS[2] then
  redis.call('PEXPIRE', KEYS[2], ARGV[2])
end
return 1
