-- grant(lock, counter, token, ttl, fencing, counter_ttl): takes the lock key `lock` for `token`
-- if it is free (or already `token`'s), issuing a fence from `counter` when `fencing` is '1'.
-- `lock` holds the holder's token as a plain string with a PX ttl; `counter` (same cluster slot)
-- holds "<fence>:<token>", the last fence issued for the lock and the token it went to, with a
-- PX ttl of `counter_ttl`. A new fence is the server's clock in microseconds (TIME), or one above
-- the recorded fence if that is not below: it keeps rising whether the counter is lost (restart,
-- eviction, failover, expiry) or the clock steps back while the counter lives. Needs Redis 6.2
-- (SET ... GET). Returns n >= 0 when granted, with fencing token n (0 without fencing), or
-- -2 - PTTL when held by another (-1: the key has no expiry).

-- A new fence for `token`, recorded in `counter`.
local function issue(counter, token, counter_ttl)
  local now = redis.call('TIME')
  local fence = now[1] * 1000000 + now[2]
  local last = redis.call('SET', counter, string.format('%d:%s', fence, token), 'PX', counter_ttl, 'GET')
  if last then
    last = tonumber(string.match(last, '^%d+'))
    if last and last >= fence then
      fence = last + 1
      redis.call('SET', counter, string.format('%d:%s', fence, token), 'PX', counter_ttl)
    end
  end
  return fence
end

-- The holder `token` (the caller checked that `lock` holds it) again: the ttl reset, and its own
-- fence while the counter still records it (else a new one).
local function renew(lock, counter, token, ttl, fencing, counter_ttl)
  redis.call('PEXPIRE', lock, ttl)
  if fencing ~= '1' then
    return 0
  end
  local recorded = redis.call('GET', counter)
  if recorded then
    local digits = string.match(recorded, '^%d+')
    if digits and string.sub(recorded, #digits + 1) == ':' .. token then
      redis.call('PEXPIRE', counter, counter_ttl)
      return tonumber(digits)
    end
  end
  return issue(counter, token, counter_ttl)
end

local function grant(lock, counter, token, ttl, fencing, counter_ttl)
  if not redis.call('SET', lock, token, 'NX', 'PX', ttl) then
    if redis.call('GET', lock) ~= token then
      return -2 - redis.call('PTTL', lock)
    end
    return renew(lock, counter, token, ttl, fencing, counter_ttl)
  elseif fencing ~= '1' then
    return 0
  end
  return issue(counter, token, counter_ttl)
end

