#!/usr/bin/python3
"""test_commands.py -- vellir-server through Debian's python3-redis (redis-py
4.3): every command family as an application uses it, pipelines and
multi-key commands across shards, RESP3, and the server commands whose
output is vellir's own (INFO, COMMAND, CONFIG, DBSIZE), and the keyspace
iterated with redis-py's scan_iter and hscan_iter.

Usage: /usr/bin/python3 test_commands.py PORT   (a running vellir-server,
best with --shards 4 so multi-key commands span shards)
Owns: its connections; it flushes the server. Threads: one, plus the
threads of test_concurrent_counters.
"""
import sys
import threading
import time

import redis

from respc import Conn

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 6380
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def client(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, **kw)


def expect_error(fn, text):
    try:
        fn()
    except redis.ResponseError as e:
        assert str(e) == text, "error %r, want %r" % (str(e), text)
        return
    raise AssertionError("no error, want %r" % text)


@test
def test_strings():
    r = client()
    assert r.set("s", "hello") is True
    assert r.get("s") == b"hello"
    assert r.set("s", "x", nx=True) is None
    assert r.set("s", "world", xx=True) is True
    assert r.getset("s", "v2") == b"world"
    assert r.set("s", "v3", get=True) == b"v2"
    assert r.append("s", "!") == 3 and r.get("s") == b"v3!"
    assert r.strlen("s") == 3
    assert r.getrange("s", 0, 1) == b"v3"
    assert r.setrange("s", 5, "z") == 6 and r.get("s") == b"v3!\x00\x00z"
    assert r.setnx("s", "no") is False and r.setnx("n1", "yes") is True
    assert r.getdel("n1") == b"yes" and r.get("n1") is None
    assert r.setex("e", 100, "v") is True and 98 <= r.ttl("e") <= 100
    assert r.psetex("pe", 100000, "v") is True and 98000 <= r.pttl("pe") <= 100000
    assert r.getex("e", persist=True) == b"v" and r.ttl("e") == -1
    assert r.getex("e", ex=50) == b"v" and 48 <= r.ttl("e") <= 50
    big = b"\x00\xff" * 100000
    assert r.set("big", big) and r.get("big") == big
    assert r.set("k", "v", px=1) and (time.sleep(0.05) or True) and r.get("k") is None
    assert r.set("k", "v", keepttl=True) and r.ttl("k") == -1
    expect_error(lambda: r.execute_command("SET", "k", "v", "EX", "0"),
                 "invalid expire time in 'set' command")


@test
def test_counters():
    r = client()
    r.delete("c")
    assert r.incr("c") == 1 and r.incrby("c", 41) == 42
    assert r.decr("c") == 41 and r.decrby("c", 1) == 40
    assert r.incrbyfloat("c", 0.5) == 40.5
    assert r.get("c") == b"40.5"
    r.set("c", "abc")
    expect_error(lambda: r.incr("c"), "value is not an integer or out of range")
    r.set("c", 9223372036854775807)
    expect_error(lambda: r.incr("c"), "increment or decrement would overflow")
    r.hset("hc", "f", "1")
    expect_error(lambda: r.incr("hc"), "WRONGTYPE Operation against a key holding the wrong kind of value")


@test
def test_concurrent_counters():
    """8 connections increment 4 counters 2000 times each: no update lost."""
    r = client()
    r.delete(*["cnt%d" % i for i in range(4)])

    def work():
        c = client()
        p = c.pipeline(transaction=False)
        for i in range(2000):
            p.incr("cnt%d" % (i % 4))
            if i % 100 == 99:
                p.execute()
        p.execute()

    th = [threading.Thread(target=work) for _ in range(8)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    assert [int(r.get("cnt%d" % i)) for i in range(4)] == [4000] * 4


@test
def test_multikey_across_shards():
    r = client()
    keys = ["mk:%d" % i for i in range(500)]
    assert r.mset({k: "v" + k for k in keys}) is True
    assert r.mget(keys) == [("v" + k).encode() for k in keys]
    assert r.exists(*keys) == 500
    assert r.exists(*(keys + keys[:10] + ["nope"])) == 510
    assert r.msetnx({"mk:0": "x", "fresh": "y"}) is False and r.get("fresh") is None
    assert r.msetnx({"fresh": "y", "fresh2": "z"}) is True
    assert r.delete(*(keys[:250] + ["nope"])) == 250
    assert r.unlink(*keys) == 250
    assert r.mget(keys[:3]) == [None, None, None]


@test
def test_pipelining_keeps_order():
    """10,000 mixed commands in one pipeline, over many shards, answered in
    order (each reply names its own command)."""
    r = client()
    p = r.pipeline(transaction=False)
    for i in range(10000):
        if i % 3 == 0:
            p.set("pl:%d" % i, i)
        elif i % 3 == 1:
            p.echo("e%d" % i)
        else:
            p.get("pl:%d" % (i - 2))
    out = p.execute()
    for i, v in enumerate(out):
        if i % 3 == 0:
            assert v is True
        elif i % 3 == 1:
            assert v == ("e%d" % i).encode(), (i, v)
        else:
            assert v == str(i - 2).encode(), (i, v)


@test
def test_keys_and_expiry():
    r = client()
    r.set("x", "1")
    assert r.type("x") == b"string" and r.type("nokey") == b"none"
    assert r.expire("x", 100) is True and 99 <= r.ttl("x") <= 100
    assert r.execute_command("EXPIRE", "x", "50", "GT") == 0
    assert r.execute_command("EXPIRE", "x", "50", "LT") == 1
    assert 49 <= r.ttl("x") <= 50
    now = int(time.time())
    assert r.expireat("x", now + 1000) and abs(r.execute_command("EXPIRETIME", "x") - (now + 1000)) <= 1
    assert r.pexpireat("x", (now + 1000) * 1000) and r.execute_command("PEXPIRETIME", "x") == (now + 1000) * 1000
    assert r.persist("x") is True and r.ttl("x") == -1
    assert r.pexpire("x", 50) is True
    time.sleep(0.1)
    assert r.exists("x") == 0 and r.ttl("x") == -2


@test
def test_hashes():
    r = client()
    r.delete("h")
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hset("h", "a", "3") == 0
    assert r.hget("h", "a") == b"3" and r.hget("h", "z") is None
    assert r.hmget("h", ["a", "z", "b"]) == [b"3", None, b"2"]
    assert r.hgetall("h") == {b"a": b"3", b"b": b"2"}
    assert r.hkeys("h") == [b"a", b"b"] and r.hvals("h") == [b"3", b"2"]
    assert r.hlen("h") == 2 and r.hexists("h", "a") and not r.hexists("h", "z")
    assert r.hsetnx("h", "a", "x") == 0 and r.hsetnx("h", "c", "x") == 1
    assert r.hincrby("h", "n", 5) == 5 and r.hincrbyfloat("h", "f", 1.5) == 1.5
    assert r.hstrlen("h", "c") == 1
    assert r.hdel("h", "a", "b", "c", "n", "f", "zz") == 5
    assert r.exists("h") == 0
    many = {("f%d" % i): ("v%d" % i) for i in range(1000)}  # an indexed hash
    assert r.hset("hb", mapping=many) == 1000
    assert r.hgetall("hb") == {k.encode(): v.encode() for k, v in many.items()}
    assert r.hdel("hb", *["f%d" % i for i in range(0, 1000, 2)]) == 500
    assert r.hlen("hb") == 500 and r.hget("hb", "f1") == b"v1" and r.hget("hb", "f2") is None
    assert r.hkeys("hb")[:3] == [b"f1", b"f3", b"f5"]  # insertion order survives deletes
    r.set("str", "v")
    expect_error(lambda: r.hget("str", "a"), "WRONGTYPE Operation against a key holding the wrong kind of value")


@test
def test_resp3():
    c = Conn(PORT)
    hello = dict(c.cmd("HELLO", "3"))
    assert hello[b"proto"] == 3 and hello[b"server"] == b"redis"
    c.cmd("HSET", "r3", "a", "1")
    assert c.raw_cmd("HGETALL", "r3") == b"%1\r\n$1\r\na\r\n$1\r\n1\r\n"
    assert c.raw_cmd("GET", "nokey") == b"_\r\n"
    info = c.cmd("INFO", "server")
    assert info[0] == "verbatim" and info[1].startswith(b"txt:# Server")
    c.close()


@test
def test_info():
    r = client()
    info = r.info("all")
    for key in ("redis_version", "connected_clients", "used_memory", "total_commands_processed",
                "keyspace_hits", "upstream_loads", "upstream_commits", "upstream_retries",
                "dirty_keys", "oldest_dirty_age_ms"):
        assert key in info, key
    c = Conn(PORT)
    raw = c.cmd("INFO").decode()
    for sec in ("# Server", "# Clients", "# Memory", "# Stats", "# Keyspace", "# Vellir"):
        assert sec in raw, sec
    server = c.cmd("INFO", "server").decode()
    assert "# Server" in server and "# Vellir" not in server
    assert c.cmd("INFO", "nosuchsection") == b""
    c.close()


@test
def test_server_commands():
    r = client()
    assert r.ping() is True and r.echo("x") == b"x"
    r.flushall()
    r.mset({"a": 1, "b": 2})
    r.hset("h", "f", "v")
    assert r.dbsize() == 3
    c = Conn(PORT)
    assert c.cmd("COMMAND", "COUNT") == len(c.cmd("COMMAND"))
    names = set(x[0] for x in c.cmd("COMMAND"))
    for n in (b"get", b"set", b"mget", b"hset", b"expire", b"info", b"flushall", b"client"):
        assert n in names, n
    docs = c.cmd("COMMAND", "DOCS", "get")
    assert docs[0] == b"get" and dict(zip(docs[1][::2], docs[1][1::2]))[b"since"] == b"1.0.0"
    assert c.cmd("CONFIG", "GET", "port") == [b"port", str(PORT).encode()]
    assert c.cmd("CONFIG", "GET", "maxmemory-polic*")[0] == b"maxmemory-policy"
    assert c.cmd("SELECT", "1") == ("error", b"ERR DB index is out of range")
    assert c.cmd("CLIENT", "SETNAME", "tester") == ("simple", b"OK")
    assert c.cmd("CLIENT", "GETNAME") == b"tester"
    assert isinstance(c.cmd("CLIENT", "ID"), int)
    assert c.cmd("NOSUCH", "a") == ("error", b"ERR unknown command 'NOSUCH', with args beginning with: 'a' ")
    c.close()
    assert r.flushdb() is True and r.dbsize() == 0 and r.get("a") is None


@test
def test_keyspace_iteration():
    """SCAN, KEYS, DBSIZE, RANDOMKEY and HSCAN as redis-py uses them: its
    scan_iter and hscan_iter follow integer cursors to the end."""
    r = client()
    r.flushall()
    keys = {("k:%04d" % i).encode() for i in range(2500)}
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, "v")
    pipe.hset("hash:1", mapping={"f%d" % i: i for i in range(300)})
    pipe.execute()
    every = keys | {b"hash:1"}
    for count in (None, 1, 10, 999):
        got = list(r.scan_iter(count=count)) if count else list(r.scan_iter())
        assert len(got) == len(set(got)) == len(every), (count, len(got))
        assert set(got) == every
    assert set(r.scan_iter(match="k:00*", count=50)) == {k for k in keys if k.startswith(b"k:00")}
    assert set(r.scan_iter(_type="hash")) == {b"hash:1"}
    assert set(r.scan_iter(_type="STRING", count=500)) == keys
    cursor, first = r.scan(0, count=7)
    assert isinstance(cursor, int) and cursor > 0 and len(first) <= 7
    cursor2, again = r.scan(cursor, count=7)   # a cursor may be used again
    cursor3, same = r.scan(cursor, count=7)
    assert again == same and cursor2 != cursor
    assert set(r.keys("k:24*")) == {k for k in keys if k.startswith(b"k:24")}
    assert r.dbsize() == 2501
    assert r.randomkey() in every
    fields = dict(r.hscan_iter("hash:1"))
    assert len(fields) == 300 and fields[b"f7"] == b"7"
    assert dict(r.hscan_iter("hash:1", match="f1?")) == {("f1%d" % i).encode(): str(10 + i).encode()
                                                          for i in range(10)}
    assert list(r.hscan_iter("nokey")) == []
    expect_error(lambda: r.scan(cursor ^ (1 << 40)),
                 "vellir: unknown or expired cursor; start the scan again with cursor 0")
    expect_error(lambda: r.execute_command("SCAN", "x"), "invalid cursor")
    r.flushall()
    assert r.dbsize() == 0 and r.randomkey() is None and r.keys() == []


def main():
    failed = 0
    for fn in TESTS:
        t0 = time.time()
        try:
            fn()
            print("ok - %s (%.2f s)" % (fn.__name__, time.time() - t0))
        except Exception as e:  # report and go on
            failed += 1
            print("FAIL - %s: %s: %s" % (fn.__name__, type(e).__name__, e))
    print("%d of %d redis-py tests passed" % (len(TESTS) - failed, len(TESTS)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
