#!lua
--[[
  Folds counters' old partial sums into their new location during a ring change, once per
  counter: the flag in the moved-in hash says the fold happened, so a runner that stopped after
  this script and runs it again adds nothing. Counter hashes and time-bucket hashes alike.

  KEYS[1]          the node's identity (<prefix>:node)
  KEYS[2h], KEYS[2h+1]
                   for each target hash h = 1..H: the hash of the new layout (<prefix>:t:<bucket>
                   or <prefix>:s:<granularity>:<start>:<slot>) and its moved-in flags
                   (<prefix>:moved@<v>:<bucket>, <prefix>:moved@<v>:s:…)

  ARGV[1] identity what KEYS[1] must hold: `<registered>#<v>`, the node fenced for version v
  ARGV[2] counters one string: per hash, in KEYS order, n, then the absolute expiry in ms of
                   the old hash (0: none), then n pairs field, value (the value read at the old
                   location), each token followed by a tab, as apply-group.lua takes them (names
                   never hold a tab)

  Returns
    {1, moved, already}  applied: `moved` fields were folded in now, `already` had their flag
                         set (folded earlier, or written by a reader's set/reset)
    {0, found}           KEYS[1] does not hold ARGV[1] (found: what it holds, '' when nothing):
                         nothing was written
    {2, h, field, why}   a field cannot be folded (a value that is not an int64, the sum out of
                         the int64 range, a key that is not a hash): nothing was written
    error                ARGV[2] is malformed: nothing was written

  Everything that can fail is checked before the first write: a script is not rolled back, and
  a fold applied without its flag would be applied again by the retry. The #!lua shebang makes
  Redis refuse the whole script up front when it is out of memory.

  Cost: per hash a fixed handful of calls (2 TYPE, 2 HMGET, 2 HSET) whatever its field count;
  only a field that exists at its new location already takes a call of its own (HINCRBY). Per
  field calls were most of a move's node CPU (docs/performance.md, "Ring change").

  An expiry (time-bucket hashes) is given to the new hash when it has none, and to the flags,
  which then go with the hash they describe: every writer of a time bucket gives it the same
  absolute expiry (docs/series.md), so the moved partial sum expires when it would have.
]]
local rcall = redis.call
local identity = rcall('GET', KEYS[1])
if identity ~= ARGV[1] then
  return {0, identity or ''}
end

local find, sub, unpack = string.find, string.sub, unpack
local data = ARGV[2]
local hashCount = (#KEYS - 1) / 2
local counts, expires, fields, values = {}, {}, {}, {}
local c, pos = 0, 1
local malformed = 'countd: malformed counters argument'
for h = 1, hashCount do
  local stop = find(data, '\t', pos, true)
  local n = stop and tonumber(sub(data, pos, stop - 1))
  if not n then return redis.error_reply(malformed) end
  local stop2 = find(data, '\t', stop + 1, true)
  local expire = stop2 and tonumber(sub(data, stop + 1, stop2 - 1))
  if not expire then return redis.error_reply(malformed) end
  pos = stop2 + 1
  counts[h] = n
  expires[h] = expire
  for _ = 1, n do
    local a = find(data, '\t', pos, true)
    local b = a and find(data, '\t', a + 1, true)
    if not b then return redis.error_reply(malformed) end
    c = c + 1
    fields[c] = sub(data, pos, a - 1)
    values[c] = sub(data, a + 1, b - 1)
    pos = b + 1
  end
end
if pos ~= #data + 1 then return redis.error_reply(malformed) end

-- An integer as Redis's HINCRBY reads one (no sign on zero, no leading zeros), split into
-- sign, the digits above the last 9, and the last 9: each part stays exact in a Lua double.
local function parse(text)
  if not text then return false, 0, 0 end
  if text == '0' then return false, 0, 0 end
  local negative = sub(text, 1, 1) == '-'
  local digits = negative and sub(text, 2) or text
  if #digits > 19 or not find(digits, '^[1-9]%d*$') then return nil end
  local cut = #digits - 9
  local high = cut > 0 and tonumber(sub(digits, 1, cut)) or 0
  local low = tonumber(sub(digits, math.max(cut + 1, 1)))
  return negative, high, low
end

-- int64: -9223372036854775808 .. 9223372036854775807.
local function within(negative, high, low)
  if high ~= 9223372036 then return high < 9223372036 end
  return low <= (negative and 854775808 or 854775807)
end

local function sumFits(aNeg, aHigh, aLow, bNeg, bHigh, bLow)
  if not within(aNeg, aHigh, aLow) or not within(bNeg, bHigh, bLow) then return false end
  -- Opposite signs: the sum lies between the two.
  if aNeg ~= bNeg then return true end
  local low = aLow + bLow
  local high = aHigh + bHigh
  if low >= 1000000000 then
    low = low - 1000000000
    high = high + 1
  end
  return within(aNeg, high, low)
end

-- HMGET of fields first..last of one hash, in slices (unpack is bounded by Lua's stack).
local SLICE = 1000
local function hmget(key, first, last)
  local out, k = {}, 0
  for i = first, last, SLICE do
    local got = rcall('HMGET', key, unpack(fields, i, math.min(i + SLICE - 1, last)))
    for j = 1, #got do
      k = k + 1
      out[k] = got[j]
    end
  end
  return out
end

-- Per field: 0 flagged already, 1 absent at the new location (HSET), 2 present there (HINCRBY).
local state = {}
c = 0
for h = 1, hashCount do
  local key, flags = KEYS[2 * h], KEYS[2 * h + 1]
  for _, k in ipairs({key, flags}) do
    local kind = rcall('TYPE', k).ok
    if kind ~= 'hash' and kind ~= 'none' then
      return {2, h, '', k .. ' holds a ' .. kind .. ', not a hash'}
    end
  end
  local n = counts[h]
  if n > 0 then
    local flagged = hmget(flags, c + 1, c + n)
    local current = hmget(key, c + 1, c + n)
    for i = 1, n do
      c = c + 1
      if flagged[i] then
        state[c] = 0
      else
        local field = fields[c]
        local bNeg, bHigh, bLow = parse(values[c])
        if bNeg == nil or not within(bNeg, bHigh, bLow) then
          return {2, h, field, 'old value "' .. values[c] .. '" is not an integer'}
        end
        local now = current[i]
        if now then
          local aNeg, aHigh, aLow = parse(now)
          if aNeg == nil then return {2, h, field, 'value "' .. now .. '" is not an integer'} end
          if not sumFits(aNeg, aHigh, aLow, bNeg, bHigh, bLow) then
            return {2, h, field, now .. ' + ' .. values[c] .. ' is out of the int64 range'}
          end
          state[c] = 2
        else
          state[c] = 1
        end
      end
    end
  end
end

local PAIRS = 500
local function hsetPairs(key, args)
  for i = 1, #args, 2 * PAIRS do
    rcall('HSET', key, unpack(args, i, math.min(i + 2 * PAIRS - 1, #args)))
  end
end

local moved, already = 0, 0
c = 0
for h = 1, hashCount do
  local key, flags = KEYS[2 * h], KEYS[2 * h + 1]
  local flagArgs, setArgs = {}, {}
  for _ = 1, counts[h] do
    c = c + 1
    local s = state[c]
    if s == 0 then
      already = already + 1
    else
      flagArgs[#flagArgs + 1] = fields[c]
      flagArgs[#flagArgs + 1] = '1'
      if s == 1 then
        -- Even a 0: the counter then exists at its new location as it did at the old one.
        setArgs[#setArgs + 1] = fields[c]
        setArgs[#setArgs + 1] = values[c]
      else
        rcall('HINCRBY', key, fields[c], values[c])
      end
      moved = moved + 1
    end
  end
  if #flagArgs > 0 then
    hsetPairs(flags, flagArgs)
    hsetPairs(key, setArgs)
    local expire = expires[h]
    if expire > 0 then
      if rcall('PTTL', key) == -1 then rcall('PEXPIREAT', key, expire) end
      if rcall('PTTL', flags) == -1 then rcall('PEXPIREAT', flags, expire) end
    end
  end
end
return {1, moved, already}
