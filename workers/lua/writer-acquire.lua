-- Takes the writer lock when free and hands out the next fencing epoch with it, atomically: the
-- store accepts commits only from the newest epoch, so a writer that lost the lock while paused
-- is refused there even if it wakes up believing it still holds it.
-- KEYS: lock, epoch
-- ARGV: token, ttlMs
-- Returns the new epoch, or 0 when another process holds the lock.
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 0 end
return redis.call('INCR', KEYS[2])
