-- One keyspace (K2): a name holds a lock, a semaphore or a reader-writer lock, never two. A plain
-- lock's string fails the sorted-set commands with WRONGTYPE by itself; the two sorted-set kinds
-- are told apart by the reader-writer holds hash `rw_hash`, which a semaphore never has. Each
-- returns the error reply for the caller to return, or nil.
local function unless_permits(rw_hash)
  if redis.call('EXISTS', rw_hash) == 1 then
    return redis.error_reply('WRONGTYPE the key holds a reader-writer lock, not a semaphore')
  end
end

local function unless_rw(holds, rw_hash)
  -- Live permits only: an expired one may linger in the set until the next acquire prunes it.
  -- (ZRANGEBYSCORE, not ZCOUNT: the least-privilege ACL of the README grants the former.)
  local live = #redis.call('ZRANGEBYSCORE', holds, '(' .. clock(), '+inf', 'LIMIT', 0, 1)
  if live > 0 and redis.call('EXISTS', rw_hash) == 0 then
    return redis.error_reply('WRONGTYPE the key holds a semaphore, not a reader-writer lock')
  end
end
