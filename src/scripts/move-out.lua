--[[
  Deletes counters from their old location during a ring change, after move-in.lua folded them
  into their new one, but only where the value is still the one that was folded: after the
  fence nothing writes there, so a different value means a writer bypassed the fence, and
  deleting it would lose what it wrote. Counter hashes and time-bucket hashes alike.

  KEYS[1]        the node's identity (<prefix>:node)
  KEYS[2 .. H+1] hashes of the old layout (<prefix>:t:<bucket>, <prefix>:s:…)

  ARGV[1]  what KEYS[1] must hold: `<registered>#<v>` (the node fenced for version v)
  ARGV[2]  one string: per hash, in KEYS order, n then n pairs field, value (the value read
           before move-in), each token followed by a tab

  Returns
    {1, deleted, gone}         deleted fields, and fields already gone (a resumed run, or a
                               reader's set/reset moved them): both are fine
    {0, found}                 KEYS[1] does not hold ARGV[1]: nothing was deleted
    {2, h, field, read, now}   a field holds another value than the one read: nothing was
                               deleted
    error                      ARGV[2] is malformed: nothing was deleted

  Per hash one HMGET and one HDEL (in slices of 1000 fields: unpack is bounded by Lua's stack),
  not a call per field. No #!lua shebang: the script only deletes, which must go ahead even on a
  node out of memory.
]]
local rcall = redis.call
local identity = rcall('GET', KEYS[1])
if identity ~= ARGV[1] then
  return {0, identity or ''}
end

local find, sub, unpack = string.find, string.sub, unpack
local data = ARGV[2]
local SLICE = 1000
local present = {}
local total, pos = 0, 1
for h = 2, #KEYS do
  local stop = find(data, '\t', pos, true)
  local n = stop and tonumber(sub(data, pos, stop - 1))
  if not n then return redis.error_reply('countd: malformed counters argument') end
  pos = stop + 1
  local fields, values = {}, {}
  for i = 1, n do
    local a = find(data, '\t', pos, true)
    local b = a and find(data, '\t', a + 1, true)
    if not b then return redis.error_reply('countd: malformed counters argument') end
    fields[i], values[i] = sub(data, pos, a - 1), sub(data, a + 1, b - 1)
    pos = b + 1
  end
  total = total + n
  local keep = {}
  for i = 1, n, SLICE do
    local last = math.min(i + SLICE - 1, n)
    local now = rcall('HMGET', KEYS[h], unpack(fields, i, last))
    for j = 1, #now do
      local v = now[j]
      if v then
        local k = i + j - 1
        if v ~= values[k] then return {2, h - 1, fields[k], values[k], v} end
        keep[#keep + 1] = fields[k]
      end
    end
  end
  present[h] = keep
end
if pos ~= #data + 1 then return redis.error_reply('countd: malformed counters argument') end

local deleted = 0
for h = 2, #KEYS do
  local fields = present[h]
  for i = 1, #fields, SLICE do
    deleted = deleted + rcall('HDEL', KEYS[h], unpack(fields, i, math.min(i + SLICE - 1, #fields)))
  end
end
return {1, deleted, total - deleted}
