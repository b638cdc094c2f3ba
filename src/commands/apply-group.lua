#!lua
--[[
  Applies one flush group on a storage node, exactly once per (job, node).

  KEYS[1 .. J]          applied markers of the jobs in the group (<prefix>:applied:<jobId>)
  KEYS[J+1 .. J+G]      markers of completed jobs: their TTL shrinks to the grace period
  KEYS[J+G+1 .. ]       counter hashes (<prefix>:t:<bucket>), H of them

  ARGV[1] J             number of job markers
  ARGV[2] G             number of markers to shrink
  ARGV[3] ttl           seconds a new marker lives
  ARGV[4] grace         seconds a completed job's marker still lives
  ARGV[5] channel       where new values are published ('' = do not publish)
  ARGV[6] chunk         values per published message
  ARGV[7 ..]            per hash, in KEYS order: n, then n pairs field, delta

  Returns
    {0, i, ...}         markers i (1-based, among the J) already exist: nothing was written.
                        Those jobs' parts are already applied; the caller drops them and retries.
    {1, h, field, err, ...}
                        applied; each triple names a counter that was refused (the hash's index
                        among the H, the field, Redis's error: overflow, not an integer, wrong
                        type) while every other counter was applied.

  Every HINCRBY runs under pcall: a script is not rolled back on error, so a failing command
  must not abort the script after earlier writes (that would apply them without markers and a
  retry would count them twice). The #!lua shebang makes Redis refuse the whole script up front
  when it is out of memory, instead of failing at the first write.
]]
local jobCount = tonumber(ARGV[1])
local shrinkCount = tonumber(ARGV[2])

local seen = {}
for i = 1, jobCount do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    seen[#seen + 1] = i
  end
end
if #seen > 0 then
  local reply = {0}
  for _, i in ipairs(seen) do reply[#reply + 1] = i end
  return reply
end

local ttl = ARGV[3]
for i = 1, jobCount do
  redis.call('SET', KEYS[i], '1', 'EX', ttl)
end
local grace = ARGV[4]
for i = jobCount + 1, jobCount + shrinkCount do
  redis.call('EXPIRE', KEYS[i], grace)
end

local channel = ARGV[5]
local publish = channel ~= ''
local chunk = tonumber(ARGV[6])
local lines = {}
local refused = {1}
-- Integers beyond 2^53 do not survive the trip through a Lua number; read those as strings.
local exact = 9007199254740992

local a = 7
local firstHash = jobCount + shrinkCount
for h = firstHash + 1, #KEYS do
  local key = KEYS[h]
  local n = tonumber(ARGV[a])
  a = a + 1
  for _ = 1, n do
    local field = ARGV[a]
    local value = redis.pcall('HINCRBY', key, field, ARGV[a + 1])
    a = a + 2
    if type(value) == 'table' then
      refused[#refused + 1] = h - firstHash
      refused[#refused + 1] = field
      refused[#refused + 1] = value.err
    elseif publish then
      if value >= exact or value <= -exact then
        value = redis.call('HGET', key, field)
      else
        value = string.format('%d', value)
      end
      lines[#lines + 1] = field .. '\t' .. value
      if #lines >= chunk then
        redis.call('PUBLISH', channel, table.concat(lines, '\n'))
        lines = {}
      end
    end
  end
end
if #lines > 0 then
  redis.call('PUBLISH', channel, table.concat(lines, '\n'))
end
return refused
