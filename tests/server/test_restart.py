#!/usr/bin/python3
"""test_restart.py -- what vellir-server keeps across a stop and a crash,
on its SQLite default: SHUTDOWN, SIGTERM and SIGINT commit every write and
exit 0, and a restart reads it all back (strings, counters, hashes,
expiries); FLUSHALL empties the table for good; with --durability
immediate a kill -9 loses no answered write; with within:MS a kill -9
loses what was not yet committed, and nothing older than the window.

Usage: test_restart.py VELLIR_BINARY
Owns: the servers and data directories it makes. Threads: one.
"""
import signal
import sys
import time

import redis

from respc import Conn
from srvctl import Server
from suite import run, test

BINARY = sys.argv[1]


def fill(port):
    r = redis.Redis(port=port)
    r.mset({"s:%d" % i: "value-%d" % i for i in range(500)})
    for _ in range(50):
        r.incr("counter")
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.set("ttl", "x", ex=1000)
    r.set("short", "x", px=300)
    r.set("gone", "x")
    r.delete("gone")


def check(port):
    r = redis.Redis(port=port)
    assert r.mget(["s:%d" % i for i in range(500)]) == [b"value-%d" % i for i in range(500)]
    assert r.get("counter") == b"50"
    assert r.hgetall("h") == {b"a": b"1", b"b": b"2"}
    assert 990 <= r.ttl("ttl") <= 1000, r.ttl("ttl")
    assert r.get("short") is None and r.get("gone") is None


def restart_cycle(stop):
    srv = Server(BINARY).start()
    try:
        fill(srv.port)
        code = stop(srv)
        assert code == 0, "exit code %s; log: %s" % (code, srv.log_text())
        assert "every write is committed" in srv.log_text()
        time.sleep(0.4)  # "short" expires meanwhile
        again = Server(BINARY, data_dir=srv.dir, port=srv.port).start()
        check(again.port)
        assert again.stop() == 0
    finally:
        srv.kill()
        srv.cleanup()


@test
def test_shutdown_command():
    def stop(srv):
        c = Conn(srv.port)
        c.send("SHUTDOWN")
        assert c.closed_within(30) and c.buf == b""  # no reply, as Redis
        return srv.wait(60)
    restart_cycle(stop)


@test
def test_sigterm():
    restart_cycle(lambda srv: srv.stop())


@test
def test_sigint():
    def stop(srv):
        srv.signal(signal.SIGINT)
        return srv.wait(60)
    restart_cycle(stop)


@test
def test_flushall_empties_the_table():
    srv = Server(BINARY).start()
    try:
        r = redis.Redis(port=srv.port)
        r.mset({"f%d" % i: i for i in range(100)})
        assert srv.stop() == 0
        srv2 = Server(BINARY, data_dir=srv.dir, port=srv.port).start()
        r = redis.Redis(port=srv2.port)
        assert r.get("f7") == b"7"  # loaded from the table (not resident yet)
        assert r.flushall() is True
        assert r.get("f7") is None and r.get("f8") is None
        r.set("after", "1")
        assert srv2.stop() == 0
        srv3 = Server(BINARY, data_dir=srv.dir, port=srv.port).start()
        r = redis.Redis(port=srv3.port)
        assert r.get("f9") is None and r.get("after") == b"1"
        assert srv3.stop() == 0
        srv4 = Server(BINARY, ["--disable-flush"], data_dir=srv.dir, port=srv.port).start()
        c = Conn(srv4.port)
        assert c.cmd("FLUSHALL") == ("error", b"ERR FLUSHALL is disabled on this server (--disable-flush)")
        assert c.cmd("GET", "after") == b"1"
        c.close()
        assert srv4.stop() == 0
    finally:
        srv.cleanup()


@test
def test_immediate_survives_kill9():
    srv = Server(BINARY, ["--durability", "immediate"]).start()
    try:
        r = redis.Redis(port=srv.port)
        for i in range(200):
            assert r.set("imm:%d" % i, i) is True  # answered = committed
        r.incrby("imm:c", 7)
        srv.kill()  # SIGKILL: no flush
        again = Server(BINARY, ["--durability", "immediate"], data_dir=srv.dir, port=srv.port).start()
        r = redis.Redis(port=again.port)
        assert r.mget(["imm:%d" % i for i in range(200)]) == [str(i).encode() for i in range(200)]
        assert r.get("imm:c") == b"7"
        assert again.stop() == 0
    finally:
        srv.cleanup()


@test
def test_within_window_kill9():
    """within:60000: a kill -9 right after the writes loses them (they were
    only in memory); within:100: after a second they are committed."""
    srv = Server(BINARY, ["--durability", "within:60000"]).start()
    try:
        redis.Redis(port=srv.port).set("late", "x")
        srv.kill()
        again = Server(BINARY, data_dir=srv.dir, port=srv.port).start()
        assert redis.Redis(port=again.port).get("late") is None
        again.stop()
    finally:
        srv.cleanup()
    srv = Server(BINARY, ["--durability", "within:100"]).start()
    try:
        r = redis.Redis(port=srv.port)
        r.set("soon", "x")
        deadline = time.time() + 5
        while time.time() < deadline:
            info = r.info("vellir")
            if info["dirty_keys"] == 0 and info["upstream_commit_keys"] >= 1:
                break
            time.sleep(0.05)
        srv.kill()
        again = Server(BINARY, data_dir=srv.dir, port=srv.port).start()
        assert redis.Redis(port=again.port).get("soon") == b"x"
        again.stop()
    finally:
        srv.cleanup()


if __name__ == "__main__":
    run("restart tests")
