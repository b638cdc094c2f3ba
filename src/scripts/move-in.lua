#!lua
--[[
  Folds counters' old partial sums into their new location during a ring change, once per
  counter: the flag in the moved-in hash says the fold happened, so a runner that stopped after
  this script and runs it again adds nothing.

  KEYS[1]          the node's identity (<prefix>:node)
  KEYS[2h], KEYS[2h+1]
                   for each target hash h = 1..H: the counter hash of the new layout
                   (<prefix>:t:<bucket>) and its moved-in flags (<prefix>:moved@<v>:<bucket>)

  ARGV[1] identity what KEYS[1] must hold: `<registered>#<v>`, the node fenced for version v
  ARGV[2] counters one string: per hash, in KEYS order, n then n pairs field, value (the value
                   read at the old location), each token followed by a tab, as apply-group.lua
                   takes them (names never hold a tab)

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
]]
local rcall = redis.call
local identity = rcall('GET', KEYS[1])
if identity ~= ARGV[1] then
  return {0, identity or ''}
end

local find, sub = string.find, string.sub
local data = ARGV[2]
local hashCount = (#KEYS - 1) / 2
local counts, fields, values = {}, {}, {}
local c, pos = 0, 1
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
    values[c] = sub(data, a + 1, b - 1)
    pos = b + 1
  end
end
if pos ~= #data + 1 then return redis.error_reply('countd: malformed counters argument') end

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

c = 0
for h = 1, hashCount do
  local key, flags = KEYS[2 * h], KEYS[2 * h + 1]
  for _, k in ipairs({key, flags}) do
    local kind = rcall('TYPE', k).ok
    if kind ~= 'hash' and kind ~= 'none' then
      return {2, h, '', k .. ' holds a ' .. kind .. ', not a hash'}
    end
  end
  for _ = 1, counts[h] do
    c = c + 1
    local field = fields[c]
    if rcall('HEXISTS', flags, field) == 0 then
      local bNeg, bHigh, bLow = parse(values[c])
      if bNeg == nil then return {2, h, field, 'old value "' .. values[c] .. '" is not an integer'} end
      local current = rcall('HGET', key, field)
      local aNeg, aHigh, aLow = parse(current)
      if aNeg == nil then return {2, h, field, 'value "' .. current .. '" is not an integer'} end
      if not sumFits(aNeg, aHigh, aLow, bNeg, bHigh, bLow) then
        return {2, h, field, current .. ' + ' .. values[c] .. ' is out of the int64 range'}
      end
    end
  end
end

local moved, already = 0, 0
c = 0
for h = 1, hashCount do
  local key, flags = KEYS[2 * h], KEYS[2 * h + 1]
  for _ = 1, counts[h] do
    c = c + 1
    if rcall('HSETNX', flags, fields[c], 1) == 1 then
      -- Even by 0: the counter then exists at its new location as it did at the old one.
      rcall('HINCRBY', key, fields[c], values[c])
      moved = moved + 1
    else
      already = already + 1
    end
  end
end
return {1, moved, already}
