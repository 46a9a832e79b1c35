-- Settles a file the producer handled without a job: unreadable, refused, or already current in
-- the store (which also clears the source's failure record: the stored version is good).
-- KEYS: sources, failures, versions
-- ARGV: prefix, batch, source, kind ('done' | 'failed'), value, batchTtl
-- USES: settle-in-batch
-- Returns 1, or 0 when the source was already in the batch.
if redis.call('SADD', KEYS[1], ARGV[3]) == 0 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[6])
settle_in_batch(ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if ARGV[4] == 'done' then clear_failure(KEYS[2], ARGV[3], next_version(KEYS[3], ARGV[3], '')) end
return 1
