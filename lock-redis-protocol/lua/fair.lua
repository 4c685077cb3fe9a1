-- The line of a fair lock (sent after the prelude parts it calls and grant.lua): `queue`, a sorted set of waiting tokens
-- scored by arrival (the server's clock in µs at their first attempt, each above the last), and `waiters`, a hash
-- from each waiting token to "<expires ms>:<handoff ttl ms>" (its place lapses at `expires`
-- unless it asks again; a lock handed to it is held `handoff ttl` until it confirms). Both
-- live as long as the longest-lived place and share the lock's slot.

-- The first live waiter's token and handoff ttl, dropping lapsed places before it; nil when
-- nobody waits.
local function first_live(queue, waiters)
  local now = nil
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then
      return nil
    end
    now = now or clock()
    local place = redis.call('HGET', waiters, head)
    local expires, ttl
    if place then
      expires, ttl = string.match(place, '^(%d+):(%d+)$')
    end
    if expires and tonumber(expires) > now then
      return head, ttl
    end
    redis.call('ZREM', queue, head)
    redis.call('HDEL', waiters, head)
  end
end

-- Grants the free lock to the first live waiter and wakes that waiter alone, on its own
-- channel: `channel` .. '~' .. the SHA1 of its token. Returns the ttl granted, or nil when
-- nobody waits.
local function hand_over(lock, counter, queue, waiters, fencing, counter_ttl, channel, mode)
  local head, ttl = first_live(queue, waiters)
  if not head then
    return nil
  end
  redis.call('ZREM', queue, head)
  redis.call('HDEL', waiters, head)
  grant(lock, counter, head, ttl, fencing, counter_ttl)
  wake(channel .. '~' .. redis.sha1hex(head), mode)
  return tonumber(ttl)
end

