-- Takes the lock at KEYS[1] for ARGV[1] if it is free (or already ARGV[1]'s).
-- KEYS[1]: the lock key, holding the holder's token as a plain string with a PX ttl.
-- KEYS[2]: the fencing counter (same cluster slot as KEYS[1]): "<fence>:<token>", the last fence
--          issued for the key and the token it went to, with a PX ttl of ARGV[4].
-- KEYS[3]: optional, the lock's metadata hash (same slot): on a grant it is replaced by
--          '~token' => ARGV[1] and the field-value pairs from ARGV[5] on, with the lock's ttl.
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens; ARGV[4]: the
--          counter's ttl in ms (longer than ARGV[2]; given whenever fencing or metadata is).
-- A new fence is the server's clock in microseconds (TIME), or one above the recorded fence if
-- that is not below: it keeps rising whether the counter is lost (restart, eviction, failover,
-- expiry) or the clock steps back while the counter lives. Needs Redis 6.2 (SET ... GET).
-- Returns one integer (a table reply costs the server noticeably more):
--   n >= 0: acquired, with fencing token n (0 without fencing);
--   n < 0:  held by another, with PTTL -2 - n (-1: the key has no expiry).
local function grant()
  if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then
      return -2 - redis.call('PTTL', KEYS[1])
    end
    -- The holder again: its own fence while the counter still records it.
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    if ARGV[3] ~= '1' then
      return 0
    end
    local recorded = redis.call('GET', KEYS[2])
    if recorded then
      local digits = string.match(recorded, '^%d+')
      if digits and string.sub(recorded, #digits + 1) == ':' .. ARGV[1] then
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        return tonumber(digits)
      end
    end
  elseif ARGV[3] ~= '1' then
    return 0
  end
  local now = redis.call('TIME')
  local fence = now[1] * 1000000 + now[2]
  local last = redis.call('SET', KEYS[2], string.format('%d:%s', fence, ARGV[1]), 'PX', ARGV[4], 'GET')
  if last then
    last = tonumber(string.match(last, '^%d+'))
    if last and last >= fence then
      fence = last + 1
      redis.call('SET', KEYS[2], string.format('%d:%s', fence, ARGV[1]), 'PX', ARGV[4])
    end
  end
  return fence
end

local result = grant()
if result >= 0 and KEYS[3] then
  redis.call('DEL', KEYS[3])
  redis.call('HSET', KEYS[3], '~token', ARGV[1], unpack(ARGV, 5))
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
end
return result
