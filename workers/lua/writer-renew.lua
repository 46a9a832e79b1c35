-- Extends the writer lock only while this process still holds it. A lock that expired is never
-- taken back here, even when nobody else took it: another writer may have run and gone, and
-- only a fresh acquire (with a new epoch) may write again.
-- KEYS: lock
-- ARGV: token, ttlMs
-- Returns 1 when renewed, 0 when the lock is no longer this process's.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
