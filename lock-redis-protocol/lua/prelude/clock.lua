-- The server's clock: milliseconds, and the raw TIME reply (seconds, microseconds).
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000), t
end
