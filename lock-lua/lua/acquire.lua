-- Takes the lock at KEYS[1] for ARGV[1] if it is free (or already ARGV[1]'s).
-- KEYS[1]: the lock key, holding the holder's token as a plain string with a PX ttl.
-- KEYS[2]: the fencing counter (same cluster slot as KEYS[1]).
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens.
-- Returns {1, fence} when acquired (fence 0 without fencing), {0, pttl} when held by another.
local holder = redis.call('GET', KEYS[1])
if holder == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  local fence = 0
  if ARGV[3] == '1' then
    fence = redis.call('INCR', KEYS[2])
  end
  return {1, fence}
end
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  local fence = 0
  if ARGV[3] == '1' then
    fence = tonumber(redis.call('GET', KEYS[2]) or '0')
    if fence == 0 then
      fence = redis.call('INCR', KEYS[2])
    end
  end
  return {1, fence}
end
return {0, redis.call('PTTL', KEYS[1])}
