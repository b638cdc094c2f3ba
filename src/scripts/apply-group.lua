#!lua
--[[
  Applies one flush group on a storage node, exactly once per (job, node), only while the
  worker still owns the jobs, and only on the node it means.

  KEYS[1]               the node's identity (<prefix>:node)
  KEYS[2]               where this apply records the counters it refused (<prefix>:refused:<id>)
  KEYS[3 .. J+2]        applied markers of the jobs in the group (<prefix>:applied:<jobId>)
  KEYS[J+3 .. J+G+2]    markers of completed jobs: their TTL shrinks to the grace period
  KEYS[J+G+3 .. ]       counter hashes (<prefix>:t:<bucket>) then time-bucket hashes
                        (<prefix>:s:<granularity>:<start>:<slot>, docs/series.md), H in all,
                        the last S of them time buckets

  ARGV[1] J             number of job markers
  ARGV[2] G             number of markers to shrink
  ARGV[3] ttl           seconds a new marker (and a refusal record) lives
  ARGV[4] grace         seconds a completed job's marker still lives
  ARGV[5] channel       where new values are published ('' = do not publish; nor while the
                        channel has no subscriber on this node)
  ARGV[6] chunk         values per published message
  ARGV[7] counters      one string: per hash, in KEYS order, n then n pairs field, delta, each
                        token followed by a tab (names never hold one: they are validated free
                        of control characters before they reach a worker)
  ARGV[8] identity      what KEYS[1] must hold: this node belongs to the worker's fleet
  ARGV[9] deadline      epoch ms (the queue Redis's clock) until which the worker owns the
                        jobs: their locks were extended up to at least this long
  ARGV[10] instances    J job instances, each followed by a tab: what tells a job from another
                        with the same id (the marker value)
  ARGV[11] repeated     '1' when a field may appear more than once (deltas summed past 2^53)
  ARGV[12] S            number of time-bucket hashes among the H (absent: 0)
  ARGV[13] expiries     S epoch seconds, each followed by a tab: EXPIREAT of each time-bucket
                        hash, in KEYS order (bucket start + step + retention: the same for
                        every writer, so a hash's TTL never depends on who wrote it last); set
                        only on a hash this apply may have created (one of its fields now
                        equals its delta): an older hash has it already

  Returns
    {0, i, refusals, ...}
                        markers i (1-based, among the J) hold these jobs' instances: their
                        parts are already applied and nothing was written. `refusals` is what
                        that apply refused (lines field TAB error), '' when nothing, '?' when
                        its record expired. The caller drops those jobs and retries the rest.
    {1, h, field, err, ...}
                        applied; each triple names a counter that was refused (the hash's index
                        among the H, the field, Redis's error: overflow, not an integer, wrong
                        type) while every other counter was applied. A refused field is refused
                        whole: none of its deltas is applied. A counter refused in its counter
                        hash is written in no time bucket either (a retry of it re-applies
                        both); a time-bucket field refused (h > H - S) leaves its total applied.
    {2, found}          KEYS[1] does not hold ARGV[8] (found: what it holds, '' when nothing):
                        the node lost its data or is another fleet's. Nothing was written.
    {3, now, deadline}  the node's clock is past the deadline: the worker may have lost the
                        jobs to another worker while it was stopped. Nothing was written.
    error               ARGV[7] or ARGV[10] is malformed: nothing was written.

  Every HINCRBY runs under pcall: a script is not rolled back on error, so a failing command
  must not abort the script after earlier writes (that would apply them without markers and a
  retry would count them twice), and ARGV[7] is parsed whole before the first write. The #!lua
  shebang makes Redis refuse the whole script up front when it is out of memory, instead of
  failing at the first write. Refusals are recorded beside the markers in the same script, so
  a retry after a lost reply learns them too.

  One string rather than two arguments per counter: measured (docs/performance.md), ioredis
  encodes a 5000-counter group ~2x faster that way and Redis spends the same.
]]
local rcall = redis.call
local identity = rcall('GET', KEYS[1])
if identity ~= ARGV[8] then
  return {2, identity or ''}
end

local deadline = tonumber(ARGV[9])
local clock = rcall('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
if not deadline or now >= deadline then
  return {3, now, ARGV[9]}
end

local jobCount = tonumber(ARGV[1])
local shrinkCount = tonumber(ARGV[2])
local find = string.find
local sub = string.sub

local instances = {}
local pos = 1
for i = 1, jobCount do
  local stop = find(ARGV[10], '\t', pos, true)
  if not stop then return redis.error_reply('countd: malformed instances argument') end
  instances[i] = sub(ARGV[10], pos, stop - 1)
  pos = stop + 1
end

-- A marker holds its job's instance, then a tab and the refusal record's key when that apply
-- refused something. '1' is what countd 0.1 wrote: honoured as applied.
local seen = {}
for i = 1, jobCount do
  local marker = rcall('GET', KEYS[2 + i])
  if marker then
    local tab = find(marker, '\t', 1, true)
    local instance = tab and sub(marker, 1, tab - 1) or marker
    if marker == '1' or instance == instances[i] then
      local refusals = ''
      if tab then refusals = rcall('GET', sub(marker, tab + 1)) or '?' end
      seen[#seen + 1] = i
      seen[#seen + 1] = refusals
    end
    -- Another instance: a job that had this id before (ids restart, producers reuse them). It
    -- is not this one; its marker is overwritten below.
  end
end
if #seen > 0 then
  local reply = {0}
  for _, v in ipairs(seen) do reply[#reply + 1] = v end
  return reply
end

local firstMarker = 3
local firstHash = firstMarker + jobCount + shrinkCount
local hashCount = #KEYS - firstHash + 1
local data = ARGV[7]
local counts, fields, deltas = {}, {}, {}
local c = 0
pos = 1
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

local bucketCount = tonumber(ARGV[12] or '0')
local firstBucket = hashCount - bucketCount + 1
local expiries = {}
pos = 1
for i = 1, bucketCount do
  local stop = find(ARGV[13], '\t', pos, true)
  if not stop then return redis.error_reply('countd: malformed expiries argument') end
  expiries[i] = sub(ARGV[13], pos, stop - 1)
  pos = stop + 1
end

local channel = ARGV[5]
-- Nobody subscribed to the channel on this node: publishing would only cost. Decided inside the
-- atomic script, so a subscriber that subscribed before this apply ran gets its values (one that
-- subscribes later reads them: pub/sub keeps nothing anyway).
local publish = channel ~= '' and rcall('PUBSUB', 'NUMSUB', channel)[2] > 0
local chunk = tonumber(ARGV[6])
-- Only when a field repeats (its deltas could not be summed below 2^53) is what was applied
-- per field remembered, to take it back if a later delta of that field is refused.
local repeated = ARGV[11] == '1'
local appliedOf, refusedField = {}, {}
-- Time-bucket hashes (by h) this apply may have created: they get their EXPIREAT.
local fresh = {}
-- Counters refused in their counter hash: their time-bucket fields are skipped.
local refusedCounter = {}
-- Published lines are built as pieces of one table (field, tab, value, newline) and joined per
-- message: a `field .. '\t' .. value` string per counter costs Redis ~1.6x more (measured).
local pieces = {}
local used = 0
local lines = 0
local refused = {1}
local record = {}
-- Integers beyond 2^53 do not survive the trip through a Lua number; read those as strings.
local exact = 9007199254740992
-- table.concat writes numbers with %.14g: below 10^14 that is the integer itself.
local plain = 1e14

local function negate(delta)
  if sub(delta, 1, 1) == '-' then return sub(delta, 2) end
  return '-' .. delta
end

c = 0
for h = 1, hashCount do
  local key = KEYS[firstHash + h - 1]
  local timeBucket = h >= firstBucket
  for _ = 1, counts[h] do
    c = c + 1
    local field = fields[c]
    local slot = repeated and (h .. '\t' .. field) or nil
    local value
    if (slot and refusedField[slot]) or (timeBucket and refusedCounter[field]) then
      value = nil
    else
      value = redis.pcall('HINCRBY', key, field, deltas[c])
      if type(value) == 'table' then
        refused[#refused + 1] = h
        refused[#refused + 1] = field
        refused[#refused + 1] = value.err
        -- The record is what a retry learns its job's unapplied increments from: a time-bucket
        -- refusal leaves the increment applied (its total), so it is reported in the reply only.
        if not timeBucket then
          record[#record + 1] = field .. '\t' .. value.err .. '\n'
          refusedCounter[field] = true
        end
        if slot then
          refusedField[slot] = true
          for _, d in ipairs(appliedOf[slot] or {}) do rcall('HINCRBY', key, field, negate(d)) end
          appliedOf[slot] = nil
        end
        value = nil
      else
        if timeBucket and not fresh[h] then
          -- A hash that existed before has its expiry (every script that creates one sets it):
          -- only a hash this apply may have created needs EXPIREAT. A field whose value is now
          -- its delta was new (or 0), the only way the hash can be new.
          local d = tonumber(deltas[c])
          if value == d or d >= exact or d <= -exact then fresh[h] = true end
        end
        if slot then
          local list = appliedOf[slot]
          if not list then list = {}; appliedOf[slot] = list end
          list[#list + 1] = deltas[c]
        end
      end
    end
    -- Time-bucket fields are never published: `watch` shows totals.
    if value ~= nil and publish and not timeBucket then
      if value >= plain or value <= -plain then
        if value >= exact or value <= -exact then
          value = rcall('HGET', key, field)
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
        rcall('PUBLISH', channel, table.concat(pieces, '', 1, used - 1))
        used = 0
        lines = 0
      end
    end
  end
end
if used > 0 then
  rcall('PUBLISH', channel, table.concat(pieces, '', 1, used - 1))
end

for i = 1, bucketCount do
  if fresh[firstBucket + i - 1] then
    rcall('EXPIREAT', KEYS[firstHash + firstBucket + i - 2], expiries[i])
  end
end

local ttl = ARGV[3]
local suffix = ''
if #record > 0 then
  rcall('SET', KEYS[2], table.concat(record), 'EX', ttl)
  suffix = '\t' .. KEYS[2]
end
for i = 1, jobCount do
  rcall('SET', KEYS[2 + i], instances[i] .. suffix, 'EX', ttl)
end
local grace = ARGV[4]
for i = firstMarker + jobCount, firstMarker + jobCount + shrinkCount - 1 do
  rcall('EXPIRE', KEYS[i], grace)
end
return refused
