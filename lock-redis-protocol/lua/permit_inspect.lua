-- Reads the live permits of the semaphore at KEYS[1] (fences at KEYS[2]), changing nothing (sent
-- after prelude.lua).
-- Returns a flat array {token, pttl, fence or false, token, pttl, fence or false, ...}.
local now = clock()
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  out[#out + 1] = live[i]
  out[#out + 1] = tonumber(live[i + 1]) - now
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i])
end
return out
