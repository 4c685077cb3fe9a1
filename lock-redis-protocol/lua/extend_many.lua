-- Extends many locks in one call, each as extend.lua would: KEYS[2i-1] is a lock and KEYS[2i]
-- its fencing counter; ARGV[3i-2] the token that must hold it, ARGV[3i-1] its new ttl in ms and
-- ARGV[3i] the least ttl its counter keeps (see extend.lua). Never re-creates a lock. On a
-- cluster every key is in one slot (the caller groups them).
-- Returns one integer per lock, in order: 1 extended, 0 not held by that token.
local answers = {}
for i = 1, #KEYS / 2 do
  local key, counter = KEYS[2 * i - 1], KEYS[2 * i]
  if redis.call('GET', key) == ARGV[3 * i - 2] then
    redis.call('PEXPIRE', key, ARGV[3 * i - 1])
    local left = redis.call('PTTL', counter)
    if left >= 0 and left < tonumber(ARGV[3 * i]) then
      redis.call('PEXPIRE', counter, ARGV[3 * i])
    end
    answers[i] = 1
  else
    answers[i] = 0
  end
end
return answers
