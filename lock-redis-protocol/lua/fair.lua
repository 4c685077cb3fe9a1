-- The line of a fair lock (sent after the prelude parts it calls and grant.lua). Both fair
-- scripts take the same first keys: KEYS[1] the lock, KEYS[2] its fencing counter, KEYS[3] its
-- `queue`, a sorted set of waiting tokens scored by arrival (the server's clock in µs at their
-- first attempt, each above the last), and KEYS[4] its `waiters`, a hash from each waiting token
-- to "<expires ms>:<handoff ttl ms>" (its place lapses at `expires` unless it asks again; a lock
-- handed to it is held `handoff ttl` until it confirms). A token is in both or in neither: every
-- script adds and removes the two together. Both live at least as long as the longest-lived
-- place, share the lock's slot and vanish with the last place.
local lock, counter, queue, waiters = KEYS[1], KEYS[2], KEYS[3], KEYS[4]

-- The first live waiter other than `leaving` (a token that must not be handed the lock, or nil),
-- and the handoff ttl its place grants; lapsed places before it (and `leaving`, if it is first)
-- leave the line. Also returns the clock as read for the walk (`now`, `t`, as `clock` returns
-- them; nil when the line was empty), so the caller reads it once. nil when nobody waits.
local function first_live(leaving)
  local now, t
  while true do
    local head = redis.call('ZRANGE', queue, 0, 0)[1]
    if not head then
      return nil, nil, now, t
    end
    if not now then
      now, t = clock()
    end
    local place = head ~= leaving and redis.call('HGET', waiters, head)
    local expires, ttl
    if place then
      expires, ttl = string.match(place, '^(%d+):(%d+)$')
    end
    if expires and tonumber(expires) > now then
      return head, ttl, now, t
    end
    redis.call('ZREM', queue, head)
    redis.call('HDEL', waiters, head)
  end
end

-- Grants the free lock to `head` (the first live waiter, as `first_live` found it with the
-- handoff ttl `ttl` and the TIME reply `t`), and wakes that waiter alone, on its own channel:
-- `channel` .. '~' .. the SHA1 of its token. `leaving` (optional) leaves the line in the same
-- two commands.
local function hand_over(head, ttl, t, fencing, counter_ttl, channel, mode, leaving)
  local leavers = { head, leaving }
  redis.call('ZREM', queue, unpack(leavers))
  redis.call('HDEL', waiters, unpack(leavers))
  redis.call('SET', lock, head, 'PX', ttl)
  if fencing == '1' then
    issue(counter, head, counter_ttl, t)
  end
  wake(channel .. '~' .. redis.sha1hex(head), mode)
end
