#!/usr/bin/python3
"""test_scan.py -- SCAN over a keyspace larger than memory, on servers of
its own: 20,000 keys committed to SQLite, then a server restarted with
--max-keys 5000 (most keys live only in the table) and --durability
within:60000, where 2,000 keys are deleted and 1,000 written anew without
a commit (the table still holds the deleted ones and lacks the new ones):
every whole SCAN, KEYS and DBSIZE is exactly the live set, each key once,
whatever COUNT and whichever connection follows the cursor; and while two
threads write and delete other keys, keys present throughout are always
returned and keys deleted before never. Then the cursor table: a cursor
works from any connection, an unknown or expired one gets vellir's error
(the oldest of VL_SRV_SCAN_CURSORS is forgotten), and a cursor does not
survive a restart.

Usage: test_scan.py VELLIR_BINARY
Owns: the servers and data directories it makes. Threads: the test's and
two writer threads.
"""
import os
import sqlite3
import sys
import threading
import time

import redis

from srvctl import Server

BINARY = sys.argv[1]
N = 20000
UNKNOWN = "vellir: unknown or expired cursor; start the scan again with cursor 0"


def key(i):
    return ("k:%05d" % i).encode()


def table_keys(srv):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(srv.dir, "vellir.db"), uri=True)
    try:
        return {row[0] for row in db.execute("SELECT key FROM vellir")}
    finally:
        db.close()


def full_scan(r, count):
    """Follows the cursor to 0; every key once."""
    seen, cursor, calls = [], 0, 0
    while True:
        cursor, page = r.scan(cursor, count=count)
        assert isinstance(cursor, int) and 0 <= cursor < (1 << 63)
        seen += page
        calls += 1
        if cursor == 0:
            break
    assert len(seen) == len(set(seen)), "a key came twice"
    return set(seen), calls


def churn(port, stop, seed):
    r = redis.Redis(port=port)
    x = seed
    while not stop.is_set():
        x = (x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        k = b"churn:%d" % ((x >> 33) % 500)
        if (x >> 20) & 1:
            r.set(k, "v")
        else:
            r.delete(k)


def main():
    first = Server(BINARY, ["--shards", "4", "--durability", "within:50"]).start()
    try:
        r = redis.Redis(port=first.port)
        pipe = r.pipeline(transaction=False)
        for i in range(N):
            pipe.set(key(i), "v%d" % i)
        pipe.execute()
        assert first.stop() == 0  # everything committed
        srv = Server(BINARY, ["--shards", "4", "--max-keys", "5000", "--durability",
                              "within:60000"], data_dir=first.dir).start()
        try:
            run(srv)
        finally:
            srv.kill()
    finally:
        first.kill()
        first.cleanup()


def run(srv):
    r = redis.Redis(port=srv.port)
    pipe = r.pipeline(transaction=False)
    for i in range(0, N, 10):  # 2,000 deletes, not committed for a minute
        pipe.delete(key(i))
    for i in range(N, N + 1000):  # 1,000 new keys, not committed either
        pipe.set(key(i), "new")
    for i in range(1, 1000, 10):  # updates of stored keys
        pipe.set(key(i), "updated")
    pipe.execute()
    for i in range(5, 3000, 10):  # reads: some resident, most evicted again
        r.get(key(i))
    live = {key(i) for i in range(N + 1000) if i >= N or i % 10 != 0}
    stored = table_keys(srv)
    assert key(0) in stored and key(N) not in stored, "the writes must not be committed yet"
    info = r.info("vellir")
    assert info["dirty_keys"] >= 3000 and info["cached_entries"] <= 5200, info
    print("# table %d rows, %d live keys, %d dirty, %d in memory" %
          (len(stored), len(live), info["dirty_keys"], info["cached_entries"]))

    for count in (10, 137, 1000, 65536):
        got, calls = full_scan(r, count)
        assert got == live, (count, len(got), len(live), sorted(got ^ live)[:5])
        print("ok - SCAN COUNT %d: %d keys in %d calls, each once" % (count, len(got), calls))
    assert set(r.scan_iter(count=250)) == live
    assert set(r.keys("*")) == live
    assert set(r.keys("k:0000?")) == {k for k in live if k.startswith(b"k:0000")}
    assert r.dbsize() == len(live)
    print("ok - scan_iter, KEYS and DBSIZE agree")

    # A cursor from one connection, followed on others (other home shards).
    conns = [redis.Redis(port=srv.port) for _ in range(4)]
    seen, cursor, i = [], 0, 0
    while True:
        cursor, page = conns[i % 4].scan(cursor, count=500)
        seen += page
        i += 1
        if cursor == 0:
            break
    assert len(seen) == len(set(seen)) and set(seen) == live
    print("ok - a cursor followed across %d connections" % len(conns))

    # Writers meanwhile: what was there throughout is returned, what was
    # deleted before is not.
    stop = threading.Event()
    threads = [threading.Thread(target=churn, args=(srv.port, stop, s)) for s in (1, 2)]
    for t in threads:
        t.start()
    try:
        for count in (50, 2000):
            got, _ = full_scan(r, count)
            stable = {k for k in got if not k.startswith(b"churn:")}
            assert stable == live, (count, sorted(stable ^ live)[:5])
    finally:
        stop.set()
        for t in threads:
            t.join()
    print("ok - scans while two threads write and delete other keys")

    # Unknown cursors: made up, or forgotten after VL_SRV_SCAN_CURSORS more.
    c = redis.Redis(port=srv.port, single_connection_client=True)
    cursor, _ = c.scan(0, count=3)
    assert cursor != 0
    for bad in (cursor ^ (1 << 30), 12345, (1 << 64) - 1):
        try:
            c.scan(bad)
            raise AssertionError("no error for %d" % bad)
        except redis.ResponseError as e:
            assert str(e) == UNKNOWN, str(e)
    for _ in range(4096):
        c.scan(0, count=1)
    try:
        c.scan(cursor)
        raise AssertionError("the oldest cursor should be forgotten")
    except redis.ResponseError as e:
        assert str(e) == UNKNOWN, str(e)
    print("ok - unknown and expired cursors are refused")

    # A cursor does not outlive the server.
    cursor, _ = r.scan(0, count=3)
    assert srv.stop() == 0
    again = Server(BINARY, ["--shards", "4"], data_dir=srv.dir, port=srv.port).start()
    try:
        try:
            redis.Redis(port=again.port).scan(cursor)
            raise AssertionError("a cursor survived a restart")
        except redis.ResponseError as e:
            assert str(e) == UNKNOWN, str(e)
        r2 = redis.Redis(port=again.port)
        every = set(r2.scan_iter(count=1000))
        assert {k for k in every if not k.startswith(b"churn:")} == live
        assert r2.dbsize() == len(every)
        assert table_keys(again) == every  # the deletes and new keys were committed at the stop
        print("ok - after a restart: cursors are gone, the table is the live set")
        assert again.stop() == 0
    finally:
        again.kill()


if __name__ == "__main__":
    t0 = time.time()
    main()
    print("scan tests passed (%.1f s)" % (time.time() - t0))
