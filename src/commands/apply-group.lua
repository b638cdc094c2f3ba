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
  ARGV[7] counters      one string: per hash, in KEYS order, n then n pairs field, delta, each
                        token followed by a tab (names never hold one: they are validated free
                        of control characters before they reach a worker)

  Returns
    {0, i, ...}         markers i (1-based, among the J) already exist: nothing was written.
                        Those jobs' parts are already applied; the caller drops them and retries.
    {1, h, field, err, ...}
                        applied; each triple names a counter that was refused (the hash's index
                        among the H, the field, Redis's error: overflow, not an integer, wrong
                        type) while every other counter was applied.
    error               ARGV[7] is malformed: nothing was written.

  Every HINCRBY runs under pcall: a script is not rolled back on error, so a failing command
  must not abort the script after earlier writes (that would apply them without markers and a
  retry would count them twice), and ARGV[7] is parsed whole before the first write. The #!lua
  shebang makes Redis refuse the whole script up front when it is out of memory, instead of
  failing at the first write.

  One string rather than two arguments per counter: measured (docs/performance.md), ioredis
  encodes a 5000-counter group ~2x faster that way and Redis spends the same.
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

local firstHash = jobCount + shrinkCount
local hashCount = #KEYS - firstHash
local data = ARGV[7]
local find = string.find
local sub = string.sub
local counts, fields, deltas = {}, {}, {}
local c = 0
local pos = 1
for h = 1, hashCount do
  local stop = find(data, '\t', pos, true)
  local n = stop and tonumber(sub(data, pos, stop - 1))
  if not n then return redis.error_reply('countd: malformed counters argument') end
  pos = stop + 1
  counts[h] = n
  for _ = 1, n do
    local a = find(data, '\t', pos, true)
    local b = a and find(data, '\t', a + 1, true)
    if not b then return redis.error_reply('countd: malformed counters argument') end
    c = c + 1
    fields[c] = sub(data, pos, a - 1)
    deltas[c] = sub(data, a + 1, b - 1)
    pos = b + 1
  end
end
if pos ~= #data + 1 then return redis.error_reply('countd: malformed counters argument') end

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
-- Published lines are built as pieces of one table (field, tab, value, newline) and joined per
-- message: a `field .. '\t' .. value` string per counter costs Redis ~1.6x more (measured).
local pieces = {}
local used = 0
local lines = 0
local refused = {1}
-- Integers beyond 2^53 do not survive the trip through a Lua number; read those as strings.
local exact = 9007199254740992
-- table.concat writes numbers with %.14g: below 10^14 that is the integer itself.
local plain = 1e14

c = 0
for h = 1, hashCount do
  local key = KEYS[firstHash + h]
  for _ = 1, counts[h] do
    c = c + 1
    local field = fields[c]
    local value = redis.pcall('HINCRBY', key, field, deltas[c])
    if type(value) == 'table' then
      refused[#refused + 1] = h
      refused[#refused + 1] = field
      refused[#refused + 1] = value.err
    elseif publish then
      if value >= plain or value <= -plain then
        if value >= exact or value <= -exact then
          value = redis.call('HGET', key, field)
        else
          value = string.format('%d', value)
        end
      end
      pieces[used + 1] = field
      pieces[used + 2] = '\t'
      pieces[used + 3] = value
      pieces[used + 4] = '\n'
      used = used + 4
      lines = lines + 1
      if lines >= chunk then
        redis.call('PUBLISH', channel, table.concat(pieces, '', 1, used - 1))
        used = 0
        lines = 0
      end
    end
  end
end
if used > 0 then
  redis.call('PUBLISH', channel, table.concat(pieces, '', 1, used - 1))
end
return refused
