-- A waiter's mark beside a plain lock: left by an attempt `lock` refused, so the holder's
-- release (one DEL of the lock and its mark) wakes waiters only when one marked it, and an
-- uncontended release publishes nothing. The mark lives as long as the holder's ttl plus `extra`
-- ms: the waiter looks again by the end of that ttl (it wakes at the holder's ttl), and that
-- look, refused, marks again. `mark` nil: no mark (kinds whose releases always wake). Returns
-- the holder's PTTL (-1: no expiry; -2: no lock).
local function mark_waiting(lock, mark, extra)
  local pttl = redis.call('PTTL', lock)
  if mark then
    redis.call('SET', mark, '1', 'PX', math.max(pttl, 0) + tonumber(extra))
  end
  return pttl
end
