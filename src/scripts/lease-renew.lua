--[[
  Renews a ring change runner's lease, only while it is still the holder's: a runner that
  stalled past its lease and lost it to another must not take it back.

  KEYS[1]  the lease (countd:fleet:<queue>:ring-change:runner)
  ARGV[1]  the holder's token
  ARGV[2]  the lease's new length, ms

  Returns 1 when renewed, 0 when the key holds another token or none.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
