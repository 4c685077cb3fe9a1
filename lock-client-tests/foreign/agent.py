"""Holds other libraries' locks for the interop tests: one command a line on stdin, one answer
a line on stdout ("ok", "no" or "error ...").

  redis-py NAME TTL_MS BLOCKING          redis-py's Lock on the key NAME (polls every 0.1 s)
  python-redis-lock NAME EXPIRE_S BLOCKING   python-redis-lock on the key lock:NAME (EXPIRE_S 0:
                                         no expiry; its waiters block on BLPOP lock-signal:NAME)
  release                                releases the lock taken last
"""
import sys

import redis
import redis_lock

client = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
held = None
for line in sys.stdin:
    words = line.split()
    try:
        if words[0] == "redis-py":
            name, ttl_ms, blocking = words[1], int(words[2]), words[3] == "1"
            lock = client.lock(name, timeout=ttl_ms / 1000, blocking=blocking)
            ok = lock.acquire()
        elif words[0] == "python-redis-lock":
            name, expire, blocking = words[1], int(words[2]) or None, words[3] == "1"
            lock = redis_lock.Lock(client, name, expire=expire)
            ok = lock.acquire(blocking=blocking)
        elif words[0] == "release":
            held.release()
            lock, ok = None, True
        else:
            raise ValueError(f"unknown command {words[0]}")
        if ok and lock is not None:
            held = lock
        print("ok" if ok else "no", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure goes back to the test
        print("error " + repr(e).replace("\n", " "), flush=True)
