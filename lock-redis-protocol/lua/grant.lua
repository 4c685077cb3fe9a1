-- grant(lock, counter, token, ttl, fencing, counter_ttl, mark) (sent after the prelude parts it calls): takes
-- the lock key `lock` for `token` if it is free (or already `token`'s), issuing a fence from
-- `counter` (same cluster slot) with the prelude's `issue` when `fencing` is '1'. `lock` holds
-- the holder's token as a plain string with a PX ttl. Returns n >= 0 when granted, with fencing
-- token n (0 without fencing), or -2 - PTTL when held by another (-1: the key has no expiry);
-- refused, it leaves the waiter's mark `mark` (optional, same slot) with the prelude's
-- `mark_waiting`.

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

local function grant(lock, counter, token, ttl, fencing, counter_ttl, mark)
  if not redis.call('SET', lock, token, 'NX', 'PX', ttl) then
    if redis.call('GET', lock) ~= token then
      return -2 - mark_waiting(lock, mark, ttl)
    end
    return renew(lock, counter, token, ttl, fencing, counter_ttl)
  elseif fencing ~= '1' then
    return 0
  end
  return issue(counter, token, counter_ttl)
end

