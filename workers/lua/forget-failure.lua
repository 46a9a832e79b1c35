-- Forgets a file version's failure (the outcome settle.lua keeps for batches that subscribe a
-- moment later) once BullMQ has removed its failed job: a batch that asks for the file from then
-- on queues it again. A success is kept.
-- KEYS: outcome
-- ARGV: (none)
-- Returns 1 when a failure was forgotten.
local known = redis.call('GET', KEYS[1])
if known and cjson.decode(known).kind == 'failed' then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
