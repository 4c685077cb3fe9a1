-- Reads the holder of the lock at KEYS[1] and the metadata hash at KEYS[2], without changing
-- anything. Returns nil when the lock is free, else {holder, {field, value, ...}} (the hash's
-- '~token' field says whose metadata it is; the caller shows it only for the holder).
local holder = redis.call('GET', KEYS[1])
if holder == false then
  return false
end
return {holder, redis.call('HGETALL', KEYS[2])}
