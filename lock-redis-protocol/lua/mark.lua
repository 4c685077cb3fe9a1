-- Leaves a waiter's mark beside the lock at KEYS[1], at KEYS[2], for a watch made without an
-- attempt (sent after the prelude part `mark`; see `mark_waiting`).
-- ARGV[1]: how much longer than the holder's ttl the mark lives, in ms.
-- Returns the holder's PTTL (-1: no expiry; -2: no lock).
return mark_waiting(KEYS[1], KEYS[2], ARGV[1])
