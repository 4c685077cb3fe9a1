-- The prelude: sent before every script that grants, releases or reads holds by the clock, so
-- the server's clock, fence issue, pruning and wake-ups are written once.

-- The server's clock: milliseconds, and the raw TIME reply (seconds, microseconds).
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
end

-- A new fence for `token`, recorded in `counter` as "<fence>:<token>" with a PX ttl of
-- `counter_ttl`. The fence is the server's clock in microseconds (`t`, a TIME reply the caller
-- read, or a fresh one), or one above the recorded fence if that is not below: fences keep
-- rising whether the counter is lost (restart, eviction, failover, expiry) or the clock steps
-- back while the counter lives. Needs Redis 6.2 (SET ... GET). This is the only place a fence
-- is issued.
local function issue(counter, token, counter_ttl, t)
  t = t or redis.call('TIME')
  local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
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

-- Wakes the waiters of `channel`: `mode` '1' PUBLISH, '2' SPUBLISH (cluster), '0' nobody.
local function wake(channel, mode)
  if mode == '1' then
    redis.call('PUBLISH', channel, '1')
  elseif mode == '2' then
    redis.call('SPUBLISH', channel, '1')
  end
end

-- A waiter's mark beside a plain lock: left by an attempt `lock` refused, so the holder's
-- release (one DEL of the lock and its mark) wakes waiters only when one marked it, and an
-- uncontended release publishes nothing. The mark lives as long as the holder's ttl plus `extra`
-- ms: the waiter looks again by the end of that ttl (it wakes at the holder's ttl), and that
-- look, refused, marks again. `mark` nil: no mark (kinds whose releases always wake). Returns
-- the holder's PTTL (-1: no expiry; -2: no lock).
local function mark_waiting(lock, mark, extra)
  local pttl = redis.call('PTTL', lock)
  if mark then
    redis.call('SET', mark, '1', 'PX', math.max(pttl, 0) + tonumber(extra))
  end
  return pttl
end

-- Drops the holds of the sorted set `holds` (member: token, score: expiry in ms) that expired
-- by `now`, and returns their tokens, for the caller to clear what it keeps beside them.
local function prune(holds, now)
  local gone = redis.call('ZRANGEBYSCORE', holds, '-inf', now)
  if #gone > 0 then
    redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  end
  return gone
end

-- Keeps `holds` (and the hash `beside` it, when given) alive exactly as long as the longest
-- hold; returns that time in ms.
local function keep_longest(holds, beside, now)
  local last = redis.call('ZRANGE', holds, -1, -1, 'WITHSCORES')
  local keep = tonumber(last[2]) - now
  redis.call('PEXPIRE', holds, keep)
  if beside then
    redis.call('PEXPIRE', beside, keep)
  end
  return keep
end

-- After a hold of `holds` is given back: drops the expired ones, and deletes the set (and the
-- hash `beside` it) once nothing is left, else keeps them as long as the longest hold left, so
-- a name whose holds are all gone is free for any kind at once (as in the in-process store).
local function settle(holds, beside, now)
  prune(holds, now)
  if redis.call('ZCARD', holds) == 0 then
    redis.call('DEL', holds, beside)
  else
    keep_longest(holds, beside, now)
  end
end

-- One keyspace (K2): a name holds a lock, a semaphore or a reader-writer lock, never two. A plain
-- lock's string fails the sorted-set commands with WRONGTYPE by itself; the two sorted-set kinds
-- are told apart by the reader-writer holds hash `rw_hash`, which a semaphore never has. Each
-- returns the error reply for the caller to return, or nil.
local function unless_permits(rw_hash)
  if redis.call('EXISTS', rw_hash) == 1 then
    return redis.error_reply('WRONGTYPE the key holds a reader-writer lock, not a semaphore')
  end
end

local function unless_rw(holds, rw_hash)
  -- Live permits only: an expired one may linger in the set until the next acquire prunes it.
  -- (ZRANGEBYSCORE, not ZCOUNT: the least-privilege ACL of the README grants the former.)
  local live = #redis.call('ZRANGEBYSCORE', holds, '(' .. clock(), '+inf', 'LIMIT', 0, 1)
  if live > 0 and redis.call('EXISTS', rw_hash) == 0 then
    return redis.error_reply('WRONGTYPE the key holds a semaphore, not a reader-writer lock')
  end
end
