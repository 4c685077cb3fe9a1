-- Takes the lock at KEYS[1] for ARGV[1] if it is free (or already ARGV[1]'s).
-- KEYS[1]: the lock key, holding the holder's token as a plain string with a PX ttl.
-- KEYS[2]: the fencing counter (same cluster slot as KEYS[1]).
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens.
-- Returns one integer (a table reply costs the server noticeably more):
--   n >= 0: acquired, with fencing token n (0 without fencing);
--   n < 0:  held by another, with PTTL -2 - n (-1: the key has no expiry).
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if ARGV[3] == '1' then
    return redis.call('INCR', KEYS[2])
  end
  return 0
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if ARGV[3] ~= '1' then
    return 0
  end
  local fence = tonumber(redis.call('GET', KEYS[2]) or '0')
  if fence == 0 then
    fence = redis.call('INCR', KEYS[2])
  end
  return fence
end
return -2 - redis.call('PTTL', KEYS[1])
