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
