-- For the lock holder only: moves the epoch counter past `min` (an embedded-mode writer claimed
-- the store meanwhile, or Redis lost its data) and returns the holder's new epoch.
-- KEYS: lock, epoch
-- ARGV: token, min
-- Returns the new epoch, or 0 when the lock is no longer this process's.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local epoch = redis.call('INCR', KEYS[2])
if epoch < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2])
  epoch = tonumber(ARGV[2])
end
return epoch
