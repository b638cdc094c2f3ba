--[[
  Releases a ring change runner's lease, only when it is still the holder's (one that expired
  and was taken by another runner is that runner's now).

  KEYS[1]  the lease (countd:fleet:<queue>:ring-change:runner)
  ARGV[1]  the holder's token

  Returns 1 when deleted, 0 otherwise.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
