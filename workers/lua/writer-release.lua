-- Releases the writer lock if this process still holds it (never a successor's).
-- KEYS: lock
-- ARGV: token
-- Returns 1 when released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
