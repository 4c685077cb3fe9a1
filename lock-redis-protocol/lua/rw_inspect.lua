-- Reads the reader-writer lock at KEYS[1] (hash KEYS[2], waiting mark KEYS[3]), changing
-- nothing (sent after the prelude parts it calls). Returns {1 if a writer's mark stands else 0, token, pttl,
-- '<mode><fence>', ...}.
local wrong = unless_rw(KEYS[1], KEYS[2])
if wrong then
  return wrong
end
local now = clock()
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {redis.call('EXISTS', KEYS[3])}
for i = 1, #live, 2 do
  out[#out + 1] = live[i]
  out[#out + 1] = tonumber(live[i + 1]) - now
  out[#out + 1] = redis.call('HGET', KEYS[2], 't:' .. live[i])
end
return out
