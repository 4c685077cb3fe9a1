-- Deletes the lock at KEYS[1] if ARGV[1] holds it, and wakes its waiters (sent after the prelude parts it calls).
-- KEYS[2]: its waiter mark (see the prelude's `mark_waiting`); KEYS[3]: its metadata hash.
-- ARGV[1]: token; ARGV[2]: '0' no wake-up, '1' PUBLISH, '2' SPUBLISH (cluster); ARGV[3]: channel.
-- Returns 1 when released, 0 when the key did not hold the token.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
-- One DEL for the three: when it deletes the lock alone, nobody marked it and nothing is
-- published (an uncontended cycle costs SET, GET, DEL). A mark, or metadata (whose waiters
-- leave no mark apart), wakes the waiters.
if redis.call('DEL', KEYS[1], KEYS[2], KEYS[3]) > 1 then
  wake(ARGV[3], ARGV[2])
end
return 1
