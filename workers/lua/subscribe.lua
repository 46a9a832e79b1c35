-- Adds one file version to a batch and stamps its version.
-- KEYS: sources, subscribers, outcome, versions
-- ARGV: prefix, batch, source, batchTtl, fileId
-- USES: settle-in-batch
-- Returns {status, version}: status 'duplicate' (source already in this batch), 'settled'
-- (outcome known) or 'pending'.
local version = next_version(KEYS[4], ARGV[3], ARGV[5])
if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return {'duplicate', string.format('%d', version)} end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local known = redis.call('GET', KEYS[3])
if known then
  local o = cjson.decode(known)
  local value = o.value
  if o.kind == 'done' then
    -- Committed by an earlier batch: for this one the file was already current.
    value = cjson.encode({outcome = 'unchanged', passages = cjson.decode(value).passages})
  end
  settle_in_batch(ARGV[1], ARGV[2], ARGV[3], o.kind, value, ARGV[4])
  return {'settled', string.format('%d', version)}
end
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {'pending', string.format('%d', version)}
