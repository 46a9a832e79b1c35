-- Library (prepended to the scripts that declare `-- USES: settle-in-batch`): records one
-- settled file in one batch. A later failure never overrides success (a stale duplicate job may
-- fail after the real one committed). Batch keys are built here from the batch id, so queue
-- mode needs a single Redis, not Redis Cluster.
local function settle_in_batch(prefix, batch, source, kind, value, ttl)
  local done = prefix .. 'batch:' .. batch .. ':done'
  local failed = prefix .. 'batch:' .. batch .. ':failed'
  if kind == 'done' then
    redis.call('HSET', done, source, value)
    redis.call('HDEL', failed, source)
    redis.call('EXPIRE', done, ttl)
  elseif redis.call('HEXISTS', done, source) == 0 then
    redis.call('HSET', failed, source, value)
    redis.call('EXPIRE', failed, ttl)
  end
end

-- The failure record of `source` (one per source, whatever version failed) goes once a version
-- at least as new has been committed or found current; a newer version's failure stays.
local function clear_failure(failures, source, version)
  local record = redis.call('HGET', failures, source)
  if record and tonumber(cjson.decode(record).version or 0) <= tonumber(version) then
    redis.call('HDEL', failures, source)
  end
end

-- Version stamps order the versions of one source by when they were enqueued: Redis's clock in
-- microseconds, strictly above the source's previous stamp (a clock stepped back by NTP cannot
-- make a later enqueue look older). The hash keeps `stamp fileId` per source, so the writer can
-- tell that an earlier job holds the same bytes as the newest enqueue (a file reverted while its
-- first job was still being retried).
local function next_version(versions, source, file_id)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
  local last = redis.call('HGET', versions, source)
  if last then
    local prev = tonumber(string.match(last, '^(%d+)'))
    if prev and prev >= now then now = prev + 1 end
  end
  redis.call('HSET', versions, source, string.format('%d %s', now, file_id))
  return now
end
