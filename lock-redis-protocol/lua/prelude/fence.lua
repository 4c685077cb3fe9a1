-- A new fence for `token`, recorded in `counter` as "<fence>:<token>" with a PX ttl of
-- `counter_ttl`. The fence is the server's clock in microseconds (`t`, a TIME reply the caller
-- read, or a fresh one), or one above the recorded fence if that is not below: fences keep
-- rising whether the counter is lost (restart, eviction, failover, expiry) or the clock steps
-- back while the counter lives. Needs Redis 6.2 (SET ... GET). This is the only place a fence
-- is issued.
local function issue(counter, token, counter_ttl, t)
  t = t or redis.call('TIME')
  local fence = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = redis.call('SET', counter, string.format('%d:%s', fence, token), 'PX', counter_ttl, 'GET')
  if last then
    last = tonumber(string.match(last, '^%d+'))
    if last and last >= fence then
      fence = last + 1
      redis.call('SET', counter, string.format('%d:%s', fence, token), 'PX', counter_ttl)
    end
  end
  return fence
end
