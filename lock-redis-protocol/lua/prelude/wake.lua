-- Wakes the waiters of `channel`: `mode` '1' PUBLISH, '2' SPUBLISH (cluster), '0' nobody.
local function wake(channel, mode)
  if mode == '1' then
    redis.call('PUBLISH', channel, '1')
  elseif mode == '2' then
    redis.call('SPUBLISH', channel, '1')
  end
end
