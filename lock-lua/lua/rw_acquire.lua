-- Takes the reader-writer lock at KEYS[1] in mode ARGV[2] ('r' read, 'u' upgradeable read,
-- 'w' write) for ARGV[1]; writer-preferring.
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
-- One keyspace: a sorted set with no holds hash beside it is a semaphore's permits (a plain
-- lock's string fails ZCARD with WRONGTYPE by itself).
if redis.call('ZCARD', KEYS[1]) > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  return redis.error_reply('WRONGTYPE the key holds a semaphore, not a reader-writer lock')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local tok, mode, ttl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, g in ipairs(gone) do
  redis.call('HDEL', KEYS[2], 't:' .. g)
  for _, field in ipairs({'w', 'u'}) do
    if redis.call('HGET', KEYS[2], field) == g then redis.call('HDEL', KEYS[2], field) end
  end
end
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
end
local function keep()
  local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
  local k = tonumber(last[2]) - now
  redis.call('PEXPIRE', KEYS[1], k)
  redis.call('PEXPIRE', KEYS[2], k)
end
local function left(member)
  return tonumber(redis.call('ZSCORE', KEYS[1], member)) - now
end
local own = redis.call('HGET', KEYS[2], 't:' .. tok)
local own_mode = own and string.sub(own, 1, 1)
if own_mode and (own_mode == mode or own_mode == 'w' or (own_mode == 'u' and mode == 'r')) then
  redis.call('ZADD', KEYS[1], now + ttl, tok)
  keep()
  -- Asking for a read again gives up this token's upgrade: its mark goes, and waiters wake.
  if mode ~= 'w' and redis.call('GET', KEYS[4]) == tok then
    redis.call('DEL', KEYS[4])
    if ARGV[6] == '1' then
      redis.call('PUBLISH', ARGV[7], '1')
    elseif ARGV[6] == '2' then
      redis.call('SPUBLISH', ARGV[7], '1')
    end
  end
  return tonumber(string.sub(own, 2))
end
local function other(value)
  if value == tok then return false end
  return value
end
local writer = other(redis.call('HGET', KEYS[2], 'w'))
local up = other(redis.call('HGET', KEYS[2], 'u'))
local mark = other(redis.call('GET', KEYS[4]))
if mode == 'r' or mode == 'u' then
  local wait = false
  if writer then wait = left(writer) end
  if mark then
    local m = redis.call('PTTL', KEYS[4])
    if not wait or m < wait then wait = m end
  end
  if wait then return -2 - wait end
  if mode == 'u' and up then return -2 - left(up) end
else
  local upgrading = own_mode == 'u'
  if mark and not upgrading then return -2 - redis.call('PTTL', KEYS[4]) end
  local others = redis.call('ZCARD', KEYS[1]) - (own and 1 or 0)
  if others > 0 then
    if upgrading or (not writer and not up and not mark) then
      redis.call('SET', KEYS[4], tok, 'PX', ARGV[3])
    end
    local first = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
    local soonest = first[2]
    if first[1] == tok then soonest = first[4] end
    return -2 - (tonumber(soonest) - now)
  end
  if redis.call('GET', KEYS[4]) == tok then redis.call('DEL', KEYS[4]) end
end
if own_mode == 'u' then redis.call('HDEL', KEYS[2], 'u') end
redis.call('ZADD', KEYS[1], now + ttl, tok)
if mode ~= 'r' then redis.call('HSET', KEYS[2], mode, tok) end
local fence = 0
if ARGV[4] == '1' then
  fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local before = redis.call('SET', KEYS[3], string.format('%d:%s', fence, tok), 'PX', ARGV[5], 'GET')
  if before then
    before = tonumber(string.match(before, '^%d+'))
    if before and before >= fence then
      fence = before + 1
      redis.call('SET', KEYS[3], string.format('%d:%s', fence, tok), 'PX', ARGV[5])
    end
  end
end
redis.call('HSET', KEYS[2], 't:' .. tok, mode .. string.format('%d', fence))
keep()
return fence
