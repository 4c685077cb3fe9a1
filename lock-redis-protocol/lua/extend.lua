-- Resets the ttl of the lock at KEYS[1] to ARGV[2] ms if ARGV[1] holds it; never re-creates it.
-- KEYS[2]: the lock's fencing counter, kept alive at least ARGV[3] ms (the ttl plus the
--          counter's grace) when it expires sooner, so a long hold keeps its fence for a
--          same-token re-acquire (A3) and for inspect.
-- KEYS[3]: optional, the lock's metadata hash, whose ttl follows the lock's.
-- Returns 1 when extended, 0 when the key did not hold the token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local left = redis.call('PTTL', KEYS[2])
if left >= 0 and left < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
if KEYS[3] then
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return 1
