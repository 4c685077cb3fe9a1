-- Writes ARGV[2] to the data key KEYS[2] if ARGV[1] holds the lock at KEYS[1].
-- KEYS[3]: the highest fence each data key was written with under this lock (a hash from data
--          key to fence, in the lock's slot, without expiry: it must outlive the lock to refuse
--          a stale holder after a release).
-- ARGV[3]: the writer's fence, or '' for a write without one (the hash is then not touched).
-- Returns -1 when the lock is not held by ARGV[1], 0 when written, or the highest recorded
-- fence (a string) when ARGV[3] is below it. Fences are compared as decimal strings of equal
-- length first, so numbers above 2^53 compare exactly.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return -1
end
if ARGV[3] ~= '' then
  local highest = redis.call('HGET', KEYS[3], KEYS[2])
  if highest and (#highest > #ARGV[3] or (#highest == #ARGV[3] and highest > ARGV[3])) then
    return highest
  end
  redis.call('HSET', KEYS[3], KEYS[2], ARGV[3])
end
redis.call('SET', KEYS[2], ARGV[2])
return 0
