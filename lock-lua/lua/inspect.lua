-- Reads the lock at KEYS[1] and its fencing counter at KEYS[2], without changing anything.
-- Returns nil when free, else {holder, pttl, fence or nil}.
local holder = redis.call('GET', KEYS[1])
if holder == false then
  return false
end
return {holder, redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2])}
