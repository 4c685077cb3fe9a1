-- Reads the data key KEYS[1]: its value, or nil.
return redis.call('GET', KEYS[1])
