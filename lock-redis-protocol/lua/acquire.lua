-- Takes the lock at KEYS[1] for ARGV[1] if it is free (or already ARGV[1]'s): see `grant`
-- above (this file is sent after the prelude parts it calls and grant.lua).
-- KEYS[1]: the lock key; KEYS[2]: its fencing counter; KEYS[3]: its waiter mark, left when
--          refused; KEYS[4]: optional, the lock's metadata hash (same slot): on a grant it is
--          replaced by '~token' => ARGV[1] and the field-value pairs from ARGV[5] on, with the
--          lock's ttl.
-- ARGV[1]: token; ARGV[2]: ttl in ms; ARGV[3]: '1' to issue fencing tokens; ARGV[4]: the
--          counter's ttl in ms (longer than ARGV[2]; given whenever fencing or metadata is).
-- Returns one integer (a table reply costs the server noticeably more): `grant`'s.
local result = grant(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], ARGV[4], KEYS[3])
if result >= 0 and KEYS[4] then
  redis.call('DEL', KEYS[4])
  redis.call('HSET', KEYS[4], '~token', ARGV[1], unpack(ARGV, 5))
  redis.call('PEXPIRE', KEYS[4], ARGV[2])
end
return result
