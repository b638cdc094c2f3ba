--[[
  Rewrites a counter hash as a new key so that Redis encodes it compactly again. A hash that once
  held more than hash-max-listpack-entries fields stays a hashtable (~3x the bytes per field)
  after fields left it, as a ring change moves them out; written anew with as few fields as a
  listpack takes, it is a listpack again. Values and expiry are kept; the script is atomic, so
  an apply runs wholly before or after it.

  KEYS[1]  the hash (<prefix>:t:<bucket>)
  ARGV[1]  the node's hash-max-listpack-entries: a hash with more fields is left as it is

  Returns 1 when rewritten, 0 when left alone (gone, already compact, or too many fields).

  HSET in slices of 500 fields: unpack is bounded by Lua's stack, and a first HSET with more
  fields than the limit would make a hashtable at once.
]]
local rcall = redis.call
if rcall('OBJECT', 'ENCODING', KEYS[1]) ~= 'hashtable' then
  return 0
end
if rcall('HLEN', KEYS[1]) > tonumber(ARGV[1]) then
  return 0
end
local ttl = rcall('PTTL', KEYS[1])
local all = rcall('HGETALL', KEYS[1])
rcall('DEL', KEYS[1])
for i = 1, #all, 1000 do
  rcall('HSET', KEYS[1], unpack(all, i, math.min(i + 999, #all)))
end
if ttl > 0 then
  rcall('PEXPIRE', KEYS[1], ttl)
end
return 1
