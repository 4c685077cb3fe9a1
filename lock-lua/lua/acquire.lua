-- Takes the lock at KEYS[1] for ARGV[1] if it is free (or already ARGV[1]'s).
-- KEYS[1]: the lock key, holding the holder's token as a plain string with a PX ttl.
-- KEYS[2]: the fencing counter (same cluster slot as KEYS[1]): "<fence>:<token>", the last fence
--          issued for the key and the token it went to, with a PX ttl of ARGV[4].
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens; ARGV[4]: the
--          counter's ttl in ms (longer than ARGV[2]).
-- A new fence is above the last one recorded and at least the server's clock in microseconds,
-- so it keeps rising when the counter is lost (restart, eviction, failover, expiry).
-- Returns one integer (a table reply costs the server noticeably more):
--   n >= 0: acquired, with fencing token n (0 without fencing);
--   n < 0:  held by another, with PTTL -2 - n (-1: the key has no expiry).
local function recorded()
  local stored = redis.call('GET', KEYS[2])
  if not stored then
    return 0, nil
  end
  local digits = string.match(stored, '^%d+')
  if not digits then
    return 0, nil
  end
  if string.sub(stored, #digits + 1, #digits + 1) ~= ':' then
    return tonumber(digits), nil
  end
  return tonumber(digits), string.sub(stored, #digits + 2)
end

local function issue(last)
  local now = redis.call('TIME')
  local fence = math.max(tonumber(now[1]) * 1000000 + tonumber(now[2]), last + 1)
  redis.call('SET', KEYS[2], string.format('%d:%s', fence, ARGV[1]), 'PX', ARGV[4])
  return fence
end

if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  if ARGV[3] ~= '1' then
    return 0
  end
  local last = recorded()
  return issue(last)
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  if ARGV[3] ~= '1' then
    return 0
  end
  -- The holder again: its own fence while the counter still records it.
  local last, owner = recorded()
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[2], ARGV[4])
    return last
  end
  return issue(last)
end
return -2 - redis.call('PTTL', KEYS[1])
