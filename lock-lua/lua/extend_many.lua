-- Extends many locks in one call, each as extend.lua would: KEYS[i] is a lock, ARGV[2i-1] the
-- token that must hold it and ARGV[2i] its new ttl in ms. Never re-creates a lock. On a
-- cluster every key is in one slot (the caller groups them).
-- Returns one integer per key, in order: 1 extended, 0 not held by that token.
local answers = {}
for i, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[2 * i - 1] then
    redis.call('PEXPIRE', key, ARGV[2 * i])
    answers[i] = 1
  else
    answers[i] = 0
  end
end
return answers
