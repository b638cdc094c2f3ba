--[[
  Fences a storage node for ring version v: rewrites its identity from `<registered>` (version 1)
  or `<registered>#<n>` (n < v) to `<registered>#<v>`. Every apply compares the identity key with
  what its worker expects, so from this write on, no apply of an older version lands here.

  KEYS[1]  the node's identity (<prefix>:node)

  ARGV[1]  the identity the fleet registered for this node (countd:fleet:<queue>:nodes), bare
  ARGV[2]  v, the version being fenced for (an integer >= 2)

  Returns
    {1, previous}  fenced now; previous is what the key held
    {2, current}   already fenced for v (a resumed change): nothing written
    {0, found}     the key holds something else ('' when nothing: the node lost its data; another
                   identity; or a version newer than v): nothing written. The node must be
                   accepted (`countd node accept`) before the change can go on.

  A script rather than GET then SET: a node replaced between the two would be given the fleet's
  identity without being checked.
]]
local found = redis.call('GET', KEYS[1])
local registered = ARGV[1]
local version = tonumber(ARGV[2])
if not found or not version then
  return {0, found or ''}
end
local fenced = registered .. '#' .. ARGV[2]
if found == fenced then
  return {2, found}
end
local older = found == registered
if not older and string.sub(found, 1, #registered + 1) == registered .. '#' then
  local n = string.sub(found, #registered + 2)
  older = string.match(n, '^%d+$') ~= nil and tonumber(n) < version
end
if not older then
  return {0, found}
end
redis.call('SET', KEYS[1], fenced)
return {1, found}
