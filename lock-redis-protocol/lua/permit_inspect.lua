-- Reads the live permits of the semaphore at KEYS[1] (fences at KEYS[2]), changing nothing (sent
-- after the prelude parts it calls).
-- KEYS[3]: the holds hash a reader-writer lock of the same name would have (it must not).
-- Returns a flat array {token, pttl, fence or false, token, pttl, fence or false, ...}.
local wrong = unless_permits(KEYS[3])
if wrong then
  return wrong
end
local now = clock()
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  out[#out + 1] = live[i]
  out[#out + 1] = tonumber(live[i + 1]) - now
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i])
end
return out
