-- Reads the lock at KEYS[1] and its fencing counter at KEYS[2], without changing anything.
-- Returns nil when free, else {holder, pttl, fence or nil}: the fence only when the counter
-- records it as issued to the current holder (a lock taken by another client has none).
local holder = redis.call('GET', KEYS[1])
if holder == false then
  return false
end
local fence = false
local stored = redis.call('GET', KEYS[2])
if stored then
  local digits = string.match(stored, '^%d+')
  if digits and string.sub(stored, #digits + 1) == ':' .. holder then
    fence = digits
  end
end
return {holder, redis.call('PTTL', KEYS[1]), fence}
