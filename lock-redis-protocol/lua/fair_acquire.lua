-- Takes a fair lock in turn (sent after the prelude parts it calls, grant.lua and fair.lua,
-- which names KEYS[1..4]: the lock, its fencing counter, its queue, its waiters).
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens; ARGV[4]: the
-- counter's ttl in ms; ARGV[5]: the place's ttl in ms; ARGV[6]: the lock's wake-up channel;
-- ARGV[7]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH.
-- Returns one integer, as acquire.lua: the fence (>= 0) when granted, -2 - PTTL when the token
-- waits in line (queued, or its place renewed).
local token, ttl, fencing, counter_ttl = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local holder = redis.call('GET', lock)
if holder == token then
  -- Taken before, or handed over by a release: confirm it. A holder is never in line: a token
  -- that queued, then took the lock another way (a plain or metadata acquire, a lock set)
  -- leaves the line here, or a later release would hand the lock back to it.
  if redis.call('ZREM', queue, token) == 1 then
    redis.call('HDEL', waiters, token)
  end
  return renew(lock, counter, token, ttl, fencing, counter_ttl)
end
local now, t
if not holder then
  local first, handoff_ttl
  first, handoff_ttl, now, t = first_live(nil)
  if not first or first == token then
    if first then
      redis.call('ZREM', queue, token)
      redis.call('HDEL', waiters, token)
    end
    return grant(lock, counter, token, ttl, fencing, counter_ttl)
  end
  hand_over(first, handoff_ttl, t, fencing, counter_ttl, ARGV[6], ARGV[7])
end
if not now then
  now, t = clock()
end
local place_ttl = tonumber(ARGV[5])
local place = redis.call('HGET', waiters, token)
local expires = place and tonumber(string.match(place, '^(%d+):'))
-- A live place is renewed where it stands, if it still stands in the queue: a queue key lost
-- on its own (evicted, deleted by hand) puts its waiters back in line as they renew.
if not expires or expires <= now or not redis.call('ZSCORE', queue, token) then
  -- Not in line, or its place lapsed (whether or not a walk of the line pruned it yet): it
  -- queues at the back, behind those who queued meanwhile (FA4). Arrival order: the clock in
  -- µs, and always after the last arrival (two arrivals can read the same µs, the clock can step
  -- back, and a tie would be broken by the tokens' bytes). ZADD moves a lapsed place.
  local arrival = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = redis.call('ZRANGE', queue, -1, -1, 'WITHSCORES')[2]
  if last and tonumber(last) >= arrival then
    arrival = tonumber(last) + 1
  end
  redis.call('ZADD', queue, arrival, token)
end
redis.call('HSET', waiters, token, string.format('%d:%d', now + place_ttl, math.min(tonumber(ttl), place_ttl)))
-- The line outlives its longest place: when it has less than this place's ttl left (or none:
-- just created), both keys get twice that, so the places renewed in the next ttl cost no PEXPIRE.
if redis.call('PTTL', queue) < place_ttl then
  redis.call('PEXPIRE', queue, 2 * place_ttl)
  redis.call('PEXPIRE', waiters, 2 * place_ttl)
end
return -2 - redis.call('PTTL', lock)
