-- Settles one file version for every batch that subscribed to it, and keeps its outcome a
-- moment for a batch that subscribes just after.
-- KEYS: subscribers, outcome, failures
-- ARGV: prefix, source, kind ('done' | 'failed'), value, batchTtl, outcomeTtlMs, failureRecord, version
-- USES: settle-in-batch
-- Returns the number of batches settled.
local batches = redis.call('SMEMBERS', KEYS[1])
for _, b in ipairs(batches) do settle_in_batch(ARGV[1], b, ARGV[2], ARGV[3], ARGV[4], ARGV[5]) end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], cjson.encode({kind = ARGV[3], value = ARGV[4]}), 'PX', ARGV[6])
if ARGV[3] == 'done' then
  clear_failure(KEYS[3], ARGV[2], ARGV[8])
else
  local old = redis.call('HGET', KEYS[3], ARGV[2])
  if not old or tonumber(cjson.decode(old).version or 0) <= tonumber(ARGV[8]) then
    redis.call('HSET', KEYS[3], ARGV[2], ARGV[7])
  end
end
return #batches
