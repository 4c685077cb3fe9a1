-- Takes the reader-writer lock at KEYS[1] in mode ARGV[2] ('r' read, 'u' upgradeable read,
-- 'w' write) for ARGV[1]. Sent after the prelude parts it calls. The rules are the contract's RW1 to RW8
-- (lock-core's `Lease::Rw`); this script is one atomic step of them.
-- KEYS[1]: the holds, a sorted set: member = token, score = expiry in ms on the server's clock.
-- KEYS[2]: a hash: 't:<token>' -> '<mode><fence>' per hold; 'w' -> the writer's token; 'u' ->
--          the upgradeable reader's token. Both keys expire with the longest hold.
-- KEYS[3]: the fencing counter, "<fence>:<token>" as for a lock (ARGV[5]: its ttl in ms).
-- KEYS[4]: the waiting writer's mark: its token, with the ttl it asked for.
-- ARGV[3]: ttl in ms; ARGV[4]: '1' to issue fencing tokens; ARGV[6]: '0' no wake-up, '1'
-- PUBLISH, '2' SPUBLISH, when a read asked again takes the token's upgrade mark away; ARGV[7]:
-- the channel.
-- Returns n >= 0: granted with fence n (0 without fencing); n < 0: refused, and what stands in
-- the way expires in -2 - n ms.
--
-- Writer preference: a writer refused only because of readers leaves its mark (KEYS[4]); while
-- the mark stands, new reads are refused, so the readers drain and the writer gets in before a
-- stream of readers can starve it. One writer waits at a time: a mark of another token refuses
-- a writer without replacing the mark.
-- Upgrades: the upgradeable reader (at most one, the 'u' field) asking for 'w' is the one
-- writer whose mark may replace another's, and it passes any mark: no other writer can get in
-- between its read and its write. Its hold becomes the write, with a new fence.

-- One keyspace: a sorted set with no holds hash beside it is a semaphore's permits (a plain
-- lock's string fails ZCARD with WRONGTYPE by itself).
local wrong = unless_rw(KEYS[1], KEYS[2])
if wrong then
  return wrong
end
local now, t = clock()
local tok, mode, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])

-- Expired holds go first, with their hash fields (a lapsed writer or upgradeable reader too).
for _, g in ipairs(prune(KEYS[1], now)) do
  redis.call('HDEL', KEYS[2], 't:' .. g)
  for _, field in ipairs({'w', 'u'}) do
    if redis.call('HGET', KEYS[2], field) == g then redis.call('HDEL', KEYS[2], field) end
  end
end
-- The ms left to the hold of `member`.
local function left(member)
  return tonumber(redis.call('ZSCORE', KEYS[1], member)) - now
end

-- RW5: the token asks again for what its hold covers (the same mode; anything while it
-- writes; a read while it holds the upgradeable read): the ttl is reset, the mode and fence
-- kept. A read asked again gives up the token's upgrade: its mark goes and waiters wake.
local own = redis.call('HGET', KEYS[2], 't:' .. tok)
local own_mode = own and string.sub(own, 1, 1)
if own_mode and (own_mode == mode or own_mode == 'w' or (own_mode == 'u' and mode == 'r')) then
  redis.call('ZADD', KEYS[1], now + ttl, tok)
  keep_longest(KEYS[1], KEYS[2], now)
  if mode ~= 'w' and redis.call('GET', KEYS[4]) == tok then
    redis.call('DEL', KEYS[4])
    wake(ARGV[7], ARGV[6])
  end
  return tonumber(string.sub(own, 2))
end

-- What stands in the way, the token's own hold and mark left aside.
local function other(value)
  if value == tok then return false end
  return value
end
local writer = other(redis.call('HGET', KEYS[2], 'w'))
local up = other(redis.call('HGET', KEYS[2], 'u'))
local mark = other(redis.call('GET', KEYS[4]))
if mode == 'r' or mode == 'u' then
  -- RW1, RW2: reads wait for a writer holding the lock and for a waiting writer's mark (writer
  -- preference); an upgradeable read also waits for the other upgradeable reader.
  local wait = false
  if writer then wait = left(writer) end
  if mark then
    local m = redis.call('PTTL', KEYS[4])
    if not wait or m < wait then wait = m end
  end
  if wait then return -2 - wait end
  if mode == 'u' and up then return -2 - left(up) end
else
  -- RW3, RW4: a write needs every other hold gone. A waiting writer's mark refuses it, unless
  -- it is an upgrade.
  local upgrading = own_mode == 'u'
  if mark and not upgrading then return -2 - redis.call('PTTL', KEYS[4]) end
  local others = redis.call('ZCARD', KEYS[1]) - (own and 1 or 0)
  if others > 0 then
    -- Held by others: leave (or renew) the mark when this writer is the one to wait, which is
    -- an upgrade always, and otherwise only when no writer, upgradeable reader or mark stands.
    if upgrading or (not writer and not up and not mark) then
      redis.call('SET', KEYS[4], tok, 'PX', ARGV[3])
    end
    -- The soonest other hold to expire (the token's own read aside).
    local first = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
    local soonest = first[2]
    if first[1] == tok then soonest = first[4] end
    return -2 - (tonumber(soonest) - now)
  end
  -- Granted: the token's own mark has done its work.
  if redis.call('GET', KEYS[4]) == tok then redis.call('DEL', KEYS[4]) end
end

-- The grant: an upgrade leaves the 'u' field, the hold takes the mode and a new fence.
if own_mode == 'u' then redis.call('HDEL', KEYS[2], 'u') end
redis.call('ZADD', KEYS[1], now + ttl, tok)
if mode ~= 'r' then redis.call('HSET', KEYS[2], mode, tok) end
local fence = 0
if ARGV[4] == '1' then
  fence = issue(KEYS[3], tok, ARGV[5], t)
end
redis.call('HSET', KEYS[2], 't:' .. tok, mode .. string.format('%d', fence))
keep_longest(KEYS[1], KEYS[2], now)
return fence
