--[[
  Deletes counters from their old location during a ring change, after move-in.lua folded them
  into their new one, but only where the value is still the one that was folded: after the
  fence nothing writes there, so a different value means a writer bypassed the fence, and
  deleting it would lose what it wrote.

  KEYS[1]        the node's identity (<prefix>:node)
  KEYS[2 .. H+1] counter hashes of the old layout (<prefix>:t:<bucket>)

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

  No #!lua shebang: the script only deletes, which must go ahead even on a node out of memory.
]]
local rcall = redis.call
local identity = rcall('GET', KEYS[1])
if identity ~= ARGV[1] then
  return {0, identity or ''}
end

local find, sub = string.find, string.sub
local data = ARGV[2]
local present = {}
local total, pos = 0, 1
for h = 2, #KEYS do
  local stop = find(data, '\t', pos, true)
  local n = stop and tonumber(sub(data, pos, stop - 1))
  if not n then return redis.error_reply('countd: malformed counters argument') end
  pos = stop + 1
  local fields = {}
  for _ = 1, n do
    local a = find(data, '\t', pos, true)
    local b = a and find(data, '\t', a + 1, true)
    if not b then return redis.error_reply('countd: malformed counters argument') end
    local field, value = sub(data, pos, a - 1), sub(data, a + 1, b - 1)
    pos = b + 1
    total = total + 1
    local now = rcall('HGET', KEYS[h], field)
    if now then
      if now ~= value then return {2, h - 1, field, value, now} end
      fields[#fields + 1] = field
    end
  end
  present[h] = fields
end
if pos ~= #data + 1 then return redis.error_reply('countd: malformed counters argument') end

local deleted = 0
for h = 2, #KEYS do
  local fields = present[h]
  -- unpack is bounded by Lua's stack: delete in slices.
  for i = 1, #fields, 1000 do
    deleted = deleted + rcall('HDEL', KEYS[h], unpack(fields, i, math.min(i + 999, #fields)))
  end
end
return {1, deleted, total - deleted}
