--[[
  Proves, on the queue Redis, that a worker still owns the jobs it is about to apply, and makes
  that proof last: each lock that still holds the worker's token is extended, exactly as
  BullMQ's own lock renewal does (the job leaves the stalled set too). BullMQ redelivers a job
  only once its lock key is gone, so until `now + duration` no other worker can take these.

  KEYS[1]               BullMQ's stalled set of the queue
  KEYS[2 .. N+1]        the jobs' lock keys

  ARGV[1] duration      lock duration, ms
  ARGV[2 .. N+1]        the worker's token for each job
  ARGV[N+2 .. 2N+1]     the job ids (members of the stalled set)

  Returns {now, i, ...}: the queue Redis's clock (epoch ms) before any lock was extended, and
  the indexes (1-based) of the jobs whose lock is gone or held by another token: lost.
]]
local rcall = redis.call
local clock = rcall('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local count = #KEYS - 1
local duration = ARGV[1]
local reply = {now}
for i = 1, count do
  local token = ARGV[1 + i]
  if rcall('GET', KEYS[1 + i]) == token then
    rcall('SET', KEYS[1 + i], token, 'PX', duration)
    rcall('SREM', KEYS[1], ARGV[1 + count + i])
  else
    reply[#reply + 1] = i
  end
end
return reply
