#!/usr/bin/python3
"""test_compare.py -- every command of vellir-server, with its error cases,
run against vellir-server and Debian's redis-server 7.0 side by side: the
reply bytes must be equal (after the few normalisations listed below).

Usage: test_compare.py VELLIR_PORT REDIS_PORT
Owns: its two connections (plus one RESP3 pair). Threads: one.

Both servers are emptied with FLUSHALL before each group. Replies that
cannot be equal byte for byte are normalised, each for a stated reason:
  - connection ids (CLIENT ID, HELLO's id): each server numbers its own;
  - CONFIG GET port: the two servers listen on different ports;
  - CONFIG GET with several patterns: Redis answers in its dict's
    iteration order, which changes with each process's hash seed, so the
    name/value pairs are compared sorted;
  - KEYS, and a SCAN answered in one page (cursor 0): Redis lists keys in
    its hash table's order, vellir in key order, so the keys are compared
    sorted (a SCAN that needs more than one page has no comparable cursor:
    tests/server/test_scan.py checks those).
Commands whose output differs by design (COMMAND COUNT, INFO, COMMAND DOCS)
are checked in test_commands.py instead; docs/server.md lists deviations.
"""
import re
import sys

from respc import Conn

GROUPS = {}


def group(name):
    def deco(fn):
        GROUPS[name] = fn
        return fn
    return deco


# Each group returns a list of commands (lists of arguments).

@group("get-set")
def _():
    return [
        ["GET", "k"], ["SET", "k", "v"], ["GET", "k"], ["GET"], ["get", "a", "b"],
        ["SET", "k"], ["SET", "k", "v", "FOO"], ["SET", "k", "v", "NX", "XX"],
        ["SET", "k", "v", "EX"], ["SET", "k", "v", "EX", "abc"], ["SET", "k", "v", "EX", "abc", "FOO"],
        ["SET", "k", "v", "EX", "0"], ["SET", "k", "v", "EX", "-1"], ["SET", "k", "v", "PX", "0"],
        ["SET", "k", "v", "EX", "9223372036854775807"], ["SET", "k", "v", "PX", "9223372036854775807"],
        ["SET", "k", "v", "EXAT", "0"], ["SET", "k", "v", "PXAT", "-5"],
        ["SET", "k", "v", "EX", "10", "PX", "100"], ["SET", "k", "v", "ex", "10", "ex", "100"],
        ["TTL", "k"], ["SET", "k", "v", "KEEPTTL", "EX", "10"], ["SET", "k", "v", "EX", "10", "KEEPTTL"],
        ["SET", "k", "v2", "KEEPTTL"], ["TTL", "k"], ["SET", "k", "v3"], ["TTL", "k"],
        ["SET", "k", "v4", "NX"], ["GET", "k"], ["SET", "n", "1", "XX"], ["GET", "n"],
        ["SET", "k", "v5", "XX", "GET"], ["SET", "k", "v6", "NX", "GET"], ["SET", "z", "1", "NX", "GET"],
        ["SET", "z2", "1", "XX", "GET"], ["GET", "z2"], ["SET", "k", "v7", "GET", "EX", "100"], ["TTL", "k"],
        ["SET", "k", "1", "px", "100000", "get"], ["PTTL", "nokey"],
        ["SET", "big", "x" * 100], ["GET", "big"], ["SET", "bin", "a\x00b\r\nc"], ["GET", "bin"],
        ["SET", "empty", ""], ["GET", "empty"], ["EXISTS", "empty"], ["STRLEN", "empty"],
        ["SET", "i", "12345"], ["GET", "i"], ["SET", "neg", "-9223372036854775808"], ["GET", "neg"],
        ["SET", "lead", "007"], ["GET", "lead"], ["SET", "plus", "+1"], ["GET", "plus"],
        ["SET", "k", "v", "EXAT", "99999999999"], ["TTL", "k"],
        ["SET", "k", "v", "PXAT", "1"], ["GET", "k"],
        ["HSET", "h", "f", "v"], ["SET", "h", "x", "GET"], ["GET", "h"], ["SET", "h", "x"], ["GET", "h"],
    ]


@group("setnx-setex-getset-getdel-getex")
def _():
    return [
        ["SETNX", "a", "1"], ["SETNX", "a", "2"], ["GET", "a"], ["SETNX", "a"],
        ["SETEX", "b", "100", "v"], ["TTL", "b"], ["GET", "b"], ["SETEX", "b", "0", "v"],
        ["SETEX", "b", "-1", "v"], ["SETEX", "b", "x", "v"], ["SETEX", "b", "10"],
        ["PSETEX", "c", "100000", "v"], ["GET", "c"], ["PSETEX", "c", "-5", "v"], ["PSETEX", "c", "0", "v"],
        ["GETSET", "a", "9"], ["GETSET", "new", "1"], ["GET", "new"], ["GETSET", "b", "x"], ["TTL", "b"],
        ["HSET", "h", "f", "v"], ["GETSET", "h", "1"], ["GETSET", "a"],
        ["GETDEL", "a"], ["GETDEL", "a"], ["EXISTS", "a"], ["GETDEL", "h"], ["GETDEL"],
        ["SET", "e", "1"], ["GETEX", "e"], ["GETEX", "e", "EX", "100"], ["TTL", "e"],
        ["GETEX", "e", "PERSIST"], ["TTL", "e"], ["GETEX", "e", "PX", "100000"], ["TTL", "e"],
        ["GETEX", "e", "EXAT", "99999999999"], ["TTL", "e"], ["GETEX", "e", "PXAT", "99999999999000"],
        ["TTL", "e"], ["GETEX", "e", "EX", "10", "PX", "10"], ["GETEX", "e", "PERSIST", "EX", "10"],
        ["GETEX", "e", "EX", "0"], ["GETEX", "e", "EX", "x"], ["GETEX", "e", "FOO"], ["GETEX", "e", "KEEPTTL"],
        ["GETEX", "e", "NX"], ["GETEX", "e", "EX", "10", "EX", "20"], ["TTL", "e"], ["GETEX", "nokey"],
        ["GETEX", "nokey", "EX", "10"], ["GETEX", "h", "EX", "10"], ["GETEX", "h"], ["GETEX"],
        ["GETEX", "e", "PXAT", "1"], ["GET", "e"], ["EXISTS", "e"],
    ]


@group("mget-mset-msetnx")
def _():
    keys = ["k%d" % i for i in range(40)]
    cmds = [["MSET"] + [x for k in keys for x in (k, k + "v")]]
    cmds += [["MGET"] + keys + ["nokey"]]
    cmds += [["MSET", "a"], ["MSET", "a", "1", "b"], ["MGET"], ["MSETNX", "q"], ["MSETNX", "a", "1", "b"]]
    cmds += [["HSET", "h", "f", "v"], ["MGET", "k1", "h", "k2"], ["MSETNX", "x1", "1", "x2", "2"],
             ["MGET", "x1", "x2"], ["MSETNX", "x2", "9", "x3", "3"], ["EXISTS", "x3"], ["MSETNX", "h", "1"],
             ["SET", "t", "1", "EX", "100"], ["MSET", "t", "2"], ["TTL", "t"],
             ["MSET", "d", "1", "d", "2"], ["GET", "d"], ["MSETNX", "y", "1", "y", "2"], ["GET", "y"]]
    return cmds


@group("append-strlen-getrange-setrange")
def _():
    return [
        ["APPEND", "a", "hello"], ["APPEND", "a", " world"], ["STRLEN", "a"], ["STRLEN", "nokey"],
        ["SET", "n", "12345"], ["STRLEN", "n"], ["APPEND", "n", "6"], ["GET", "n"], ["INCR", "n"],
        ["GETRANGE", "a", "0", "4"], ["GETRANGE", "a", "-5", "-1"], ["GETRANGE", "a", "5", "2"],
        ["GETRANGE", "a", "-100", "100"], ["GETRANGE", "a", "100", "200"], ["GETRANGE", "nokey", "0", "1"],
        ["GETRANGE", "a", "x", "1"], ["GETRANGE", "a", "0"], ["GETRANGE", "n", "1", "2"],
        ["GETRANGE", "a", "0", "-100"], ["GETRANGE", "a", "-1", "-2"], ["GETRANGE", "a", "-1", "-1"],
        ["SETRANGE", "a", "6", "W"], ["GET", "a"], ["SETRANGE", "b", "3", "x"], ["GET", "b"],
        ["SETRANGE", "c", "0", ""], ["EXISTS", "c"], ["SETRANGE", "c", "5", ""], ["EXISTS", "c"],
        ["SETRANGE", "a", "-1", "x"], ["SETRANGE", "a", "536870912", "x"], ["SETRANGE", "a", "536870911", ""],
        ["SETRANGE", "a", "x", "y"], ["SETRANGE", "n", "0", "9"], ["GET", "n"], ["SETRANGE", "a", "20", "!"],
        ["GET", "a"], ["SETRANGE", "nokey2", "536870912", ""],
        ["HSET", "h", "f", "v"], ["APPEND", "h", "x"], ["STRLEN", "h"], ["GETRANGE", "h", "0", "1"],
        ["SETRANGE", "h", "0", "x"], ["SETRANGE", "h", "-1", "x"], ["APPEND", "x"], ["STRLEN"],
    ]


@group("counters")
def _():
    return [
        ["INCR", "n"], ["INCRBY", "n", "10"], ["INCRBY", "n", "x"], ["INCRBY", "n", "9223372036854775807"],
        ["DECRBY", "n", "-9223372036854775808"], ["DECR", "n"], ["DECRBY", "n", "5"], ["INCRBY", "n", ""],
        ["INCRBY", "n", " 1"], ["INCRBY", "n", "01"], ["INCRBY", "n", "-0"],
        ["SET", "s", "abc"], ["INCR", "s"], ["INCRBYFLOAT", "s", "1"], ["SET", "f", "10.5"],
        ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "abc"], ["INCRBYFLOAT", "f", "inf"],
        ["INCRBYFLOAT", "f", "1e308"], ["INCRBYFLOAT", "f", "1e308"], ["SET", "f", "1e3"],
        ["INCRBYFLOAT", "f", "1"], ["SET", "f", " 1"], ["INCRBYFLOAT", "f", "1"], ["SET", "f", "1.0"],
        ["INCR", "f"], ["SET", "f", "5"], ["INCRBYFLOAT", "f", "0"], ["INCRBYFLOAT", "nf", "3.0e0"],
        ["INCRBYFLOAT", "nf", "-3"], ["INCRBYFLOAT", "nf", "1.5e-7"], ["INCRBYFLOAT", "nf", "nan"],
        ["INCRBYFLOAT", "nf", ""], ["INCRBYFLOAT", "nf", "0x10"], ["INCRBYFLOAT", "q", "1e400"],
        ["HSET", "h", "f", "1"], ["INCR", "h"], ["INCRBYFLOAT", "h", "1"], ["DECR", "h"],
        ["DECRBY", "n", "9223372036854775807"], ["INCRBY", "x", "-9223372036854775808"],
        ["DECRBY", "x2", "-9223372036854775808"], ["SET", "big", "9223372036854775807"], ["INCR", "big"],
        ["SET", "small", "-9223372036854775808"], ["DECR", "small"], ["SET", "sp", "1 "], ["INCR", "sp"],
        ["SET", "t", "5", "EX", "100"], ["INCR", "t"], ["TTL", "t"], ["INCRBYFLOAT", "t", "1.5"], ["TTL", "t"],
        ["INCR"], ["INCRBY", "n"], ["DECR", "a", "b"], ["INCRBYFLOAT", "n"],
        ["SET", "long", "1" * 21], ["INCR", "long"], ["INCRBYFLOAT", "fl", "0.1"], ["INCRBYFLOAT", "fl", "0.2"],
        ["INCRBYFLOAT", "neg0", "-0"], ["GET", "neg0"],
    ]


@group("keyspace")
def _():
    return [
        ["SET", "a", "1"], ["DEL", "a", "b", "a"], ["DEL"], ["SET", "a", "1"], ["SET", "b", "2"],
        ["EXISTS", "a", "a", "b", "c"], ["EXISTS"], ["HSET", "h", "f", "v"], ["UNLINK", "h", "x", "a"],
        ["UNLINK"], ["TYPE", "b"], ["TYPE", "nokey"], ["HSET", "h", "f", "v"], ["TYPE", "h"], ["TYPE"],
        ["TTL", "b"], ["TTL", "nokey"], ["PTTL", "nokey"], ["PTTL", "b"], ["EXPIRETIME", "b"],
        ["EXPIRETIME", "nokey"], ["PEXPIRETIME", "b"], ["PEXPIRETIME", "nokey"], ["TTL"],
        ["EXPIRE", "b", "100"], ["TTL", "b"], ["EXPIRE", "b", "100", "NX"], ["EXPIRE", "b", "200", "XX"],
        ["TTL", "b"], ["EXPIRE", "b", "50", "GT"], ["EXPIRE", "b", "50", "LT"], ["TTL", "b"],
        ["EXPIRE", "b", "50", "NX", "XX"], ["EXPIRE", "b", "50", "GT", "LT"], ["EXPIRE", "b", "50", "NX", "GT"],
        ["EXPIRE", "b", "50", "FOO"], ["EXPIRE", "b", "x", "FOO"], ["EXPIRE", "b", "50", "nx", "nx"],
        ["EXPIRE", "b", "x"], ["EXPIRE", "b", "9223372036854775807"], ["EXPIRE", "b", "-9223372036854775808"],
        ["PEXPIRE", "b", "9223372036854775807"], ["EXPIREAT", "b", "9223372036854775807"],
        ["PEXPIREAT", "b", "9223372036854775807"], ["PEXPIRETIME", "b"], ["PERSIST", "b"], ["PERSIST", "b"],
        ["PERSIST", "nokey"], ["PERSIST"], ["EXPIRE", "nokey", "10"], ["EXPIRE", "b", "10", "GT"],
        ["EXPIRE", "b", "10", "LT"], ["TTL", "b"], ["EXPIRE", "b", "20", "XX", "GT"], ["TTL", "b"],
        ["EXPIRE", "b", "5", "XX", "LT"], ["TTL", "b"], ["PERSIST", "b"], ["EXPIRE", "b", "5", "XX"],
        ["EXPIRE", "b", "-1"], ["EXISTS", "b"], ["SET", "a", "1"], ["PEXPIREAT", "a", "1"], ["EXISTS", "a"],
        ["SET", "a", "1"], ["EXPIRE", "a", "0"], ["GET", "a"], ["SET", "a", "1"], ["EXPIREAT", "a", "-5"],
        ["EXISTS", "a"], ["SET", "a", "1"], ["PEXPIRE", "a", "100000"], ["PERSIST", "a"], ["TTL", "a"],
        ["EXPIREAT", "h", "99999999999"], ["EXPIRETIME", "h"], ["PEXPIRETIME", "h"], ["TTL", "h"],
        ["EXPIRE"], ["EXPIRE", "a"], ["PEXPIREAT", "a"],
    ]


@group("hashes")
def _():
    return [
        ["HSET", "h"], ["HSET", "h", "f"], ["HSET", "h", "f", "v", "g"], ["HSET", "h", "f", "1", "g", "2", "f", "3"],
        ["HGETALL", "h"], ["HMSET", "h", "a", "b"], ["HMSET", "h", "a"], ["HSETNX", "h", "a", "x"],
        ["HSETNX", "h", "z", "x"], ["HSETNX", "h2", "z", "x"], ["HSETNX", "h", "z"], ["HGET", "h", "a"],
        ["HGET", "h", "nope"], ["HGET", "nokey", "a"], ["HGET", "h"], ["HMGET", "h", "a", "nope", "f"],
        ["HMGET", "nokey", "a", "b"], ["HMGET", "h"], ["HDEL", "h", "a", "nope", "z"], ["HEXISTS", "h", "f"],
        ["HEXISTS", "h", "q"], ["HEXISTS", "nokey", "q"], ["HLEN", "h"], ["HLEN", "nokey"], ["HKEYS", "h"],
        ["HVALS", "h"], ["HKEYS", "nokey"], ["HVALS", "nokey"], ["HGETALL", "nokey"], ["HINCRBY", "h", "f", "5"],
        ["HINCRBY", "h", "g", "x"], ["HINCRBY", "h", "new", "7"], ["HSET", "h", "s", "abc"],
        ["HINCRBY", "h", "s", "1"], ["HINCRBYFLOAT", "h", "s", "1"], ["HINCRBYFLOAT", "h", "f", "0.5"],
        ["HINCRBYFLOAT", "h", "f", "abc"], ["HINCRBY", "h", "f", "9223372036854775807"],
        ["HINCRBY", "h", "new", "9223372036854775807"], ["HINCRBYFLOAT", "h", "x", "inf"],
        ["HINCRBYFLOAT", "hbig", "x", "1e400"], ["HINCRBYFLOAT", "h", "g", "1.5e-7"], ["HSTRLEN", "h", "f"],
        ["HSTRLEN", "h", "nope"], ["HSTRLEN", "nokey", "f"], ["SET", "str", "v"], ["HGET", "str", "a"],
        ["HLEN", "str"], ["HDEL", "str", "a"], ["HSET", "str", "a", "b"], ["HGETALL", "str"], ["HKEYS", "str"],
        ["HINCRBY", "str", "a", "1"], ["HSTRLEN", "str", "a"], ["HEXISTS", "str", "a"], ["HMGET", "str", "a"],
        ["HSETNX", "str", "a", "b"], ["HINCRBYFLOAT", "str", "a", "1"],
        ["HGETALL", "h"], ["HDEL", "h", "f", "g", "new", "s", "x"], ["EXISTS", "h"], ["HDEL", "h"],
        ["HSET", "h", "f", "01"], ["HINCRBY", "h", "f", "1"], ["HINCRBYFLOAT", "h", "f", "1"],
        ["HSET", "t", "a", "1"], ["EXPIRE", "t", "100"], ["HSET", "t", "b", "2"], ["TTL", "t"],
        ["HDEL", "t", "a", "b"], ["TTL", "t"], ["HINCRBY", "nh", "f", "-3"], ["HGETALL", "nh"],
        ["HINCRBYFLOAT", "nh", "g", "2.5"], ["HGETALL", "nh"], ["HINCRBY", "h", "f"],
        ["HSET", "order", "c", "1", "a", "2", "b", "3"], ["HDEL", "order", "a"], ["HSET", "order", "a", "4", "c", "5"],
        ["HGETALL", "order"], ["HKEYS", "order"], ["HVALS", "order"],
    ]


@group("connection")
def _():
    return [
        ["PING"], ["PING", "hi"], ["PING", "a", "b"], ["ECHO"], ["ECHO", "x"], ["ECHO", "a", "b"],
        ["DBSIZE"], ["DBSIZE", "x"], ["SET", "a", "1"], ["DBSIZE"], ["SELECT", "0"], ["SELECT", "x"],
        ["SELECT", "-1"], ["SELECT"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", "a b"],
        ["CLIENT", "SETNAME", "foo"], ["CLIENT", "GETNAME"], ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"],
        ["CLIENT"], ["CLIENT", "SETNAME"], ["CLIENT", "GETNAME", "x"], ["CLIENT", "FOO"], ["client", "x" * 200],
        ["CLIENT", "a\x00b"], ["CLIENT", "ID", "x"], ["CONFIG"], ["CONFIG", "GET"], ["CONFIG", "FOO"],
        ["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"], ["CONFIG", "GET", "nosuch"],
        ["CONFIG", "GET", "timeout"], ["CONFIG", "GET", "SAVE", "appendONLY"],
        ["COMMAND", "FOO"], ["COMMAND", "COUNT", "x"], ["COMMAND", "INFO", "get", "nosuch", "mget", "mset", "del"],
        ["COMMAND", "INFO", "incr", "hget", "ttl", "exists", "hgetall", "ping", "echo", "client|getname"],
        ["HELLO", "4"], ["HELLO", "x"], ["HELLO", "2", "FOO"], ["HELLO", "3", "AUTH", "bob", "x"],
        ["HELLO", "3", "SETNAME", "a b"], ["HELLO", "3", "AUTH", "default"], ["HELLO", "2", "SETNAME", "nm"],
        ["CLIENT", "GETNAME"], ["HELLO", "2", "AUTH", "default", "pw"],
        ["FOO"], ["FOO", "a", "b"], ["foo" + "x" * 200, "a"], ["foo", "a" * 100, "b" * 100, "c"],
        ["foo", "a" * 10, "b" * 200], ["foo", "a\x00b", "c"], ["fo\x00o", "x"], ["foo", "a\r\nb"],
        ["foo"] + ["ab"] * 100, ["SHUTDOWN", "x"], ["SHUTDOWN", "ABORT"], ["SHUTDOWN", "NOSAVE", "SAVE"],
        ["SHUTDOWN", "ABORT", "NOW"], ["FLUSHALL", "x"], ["FLUSHALL", "a", "b"], ["FLUSHDB", "foo"],
        ["FLUSHALL", "ASYNC"], ["DBSIZE"], ["SET", "a", "1"], ["FLUSHDB", "sync"], ["GET", "a"],
        ["FLUSHALL", "SYNC"], ["FLUSHDB"], ["QUIT", "x"],
    ]


KS_KEYS = ["hello", "hallo", "hxllo", "hllo", "heeeello", "a*b", "a[b", "a\\b", "",
           "\xe9t\xe9", "user:1:name", "user:2:name", "user:1:age", "k\x00z", "[", "]"]


@group("keyspace-scan")
def _():
    cmds = [["MSET"] + [x for k in KS_KEYS for x in (k, "v")], ["HSET", "hh", "f", "1", "g", "2"],
            ["DBSIZE"], ["RANDOMKEY", "x"]]
    for pat in ["*", "h?llo", "h*llo", "h[ae]llo", "h[^e]llo", "h[a-b]llo", "user:*", "*:name",
                "user:[12]:*", "a\\*b", "a\\[b", "a\\\\b", "a[[]b", "*\xe9*", "[", "]", "\\[",
                "?", "**", "*?", "k?z", "[a-\xff]*", "[\x01-\x80]*", "a*b*c*d*e*f*g", "\\"]:
        cmds.append(["KEYS", pat])
    cmds += [["KEYS", "a*" * 1002], ["KEYS", "*" * 3000], ["KEYS"], ["KEYS", "a", "b"]]
    for opts in [[], ["COUNT", "100000"], ["MATCH", "user:*"], ["MATCH", "*"], ["TYPE", "hash"],
                 ["TYPE", "string", "MATCH", "h*"], ["TYPE", "STRING", "MATCH", "a*"],
                 ["TYPE", "list"], ["TYPE", "nosuch"], ["COUNT", "5", "COUNT", "100000"],
                 ["match", "user*", "count", "1000000000"]]:
        cmds.append(["SCAN", "0", "COUNT", "100000"] + opts if "COUNT" not in opts and
                    "count" not in opts else ["SCAN", "0"] + opts)
    cmds += [["SCAN", "", "COUNT", "100000"], ["SCAN", "-0", "COUNT", "100000"],
             ["SCAN", "+0", "COUNT", "100000"], ["SCAN", "00", "COUNT", "100000"]]
    for bad in [["SCAN", "x"], ["SCAN", " 0"], ["SCAN", "0 "], ["SCAN", "1x"], ["SCAN", "-"],
                ["SCAN", "18446744073709551616"], ["SCAN", "0", "COUNT", "0"],
                ["SCAN", "0", "COUNT", "-1"], ["SCAN", "0", "COUNT", "x"],
                ["SCAN", "0", "COUNT", "99999999999999999999"], ["SCAN", "0", "COUNT"],
                ["SCAN", "0", "MATCH"], ["SCAN", "0", "TYPE"], ["SCAN", "0", "FOO", "bar"],
                ["SCAN", "0", "COUNT", "1", "FOO"], ["SCAN"], ["SCAN", "x", "COUNT", "0"],
                ["SCAN", "0", "COUNT", "0", "MATCH"]]:
        cmds.append(bad)
    cmds += [["FLUSHALL"], ["SCAN", "0"], ["KEYS", "*"], ["DBSIZE"], ["RANDOMKEY"],
             ["SET", "only", "1"], ["RANDOMKEY"], ["SCAN", "0", "MATCH", "nope*"],
             ["HELLO", "3"], ["SCAN", "0"], ["RANDOMKEY"], ["DEL", "only"], ["RANDOMKEY"],
             ["KEYS", "*"], ["HELLO", "2"]]
    return cmds


@group("keyspace-hscan")
def _():
    return [
        ["HSET", "h", "f1", "v1", "f2", "v2", "g", "3", "", "empty", "f\x00x", "nul"],
        ["HSCAN", "h", "0"], ["HSCAN", "h", "0", "COUNT", "1"], ["HSCAN", "h", "5"],
        ["HSCAN", "h", "18446744073709551615"], ["HSCAN", "h", "-1"], ["HSCAN", "h", ""],
        ["HSCAN", "h", "0", "MATCH", "f*"], ["HSCAN", "h", "0", "MATCH", "*"],
        ["HSCAN", "h", "0", "MATCH", "?"], ["HSCAN", "h", "0", "MATCH", "f?", "COUNT", "7"],
        ["HSCAN", "h", "0", "MATCH", "zz"], ["HSCAN", "h", "x"], ["HSCAN", "h", "0", "COUNT", "0"],
        ["HSCAN", "h", "0", "COUNT", "x"], ["HSCAN", "h", "0", "TYPE", "hash"],
        ["HSCAN", "h", "0", "FOO"], ["HSCAN", "h", "0", "MATCH"], ["HSCAN", "h"], ["HSCAN"],
        ["HSCAN", "nokey", "0"], ["HSCAN", "nokey", "0", "FOO"], ["HSCAN", "nokey", "x"],
        ["SET", "s", "v"], ["HSCAN", "s", "0"], ["HSCAN", "s", "0", "FOO"], ["HSCAN", "s", "x"],
        ["HDEL", "h", "f1"], ["HSET", "h", "f1", "again"], ["HSCAN", "h", "0"],
        ["HELLO", "3"], ["HSCAN", "h", "0"], ["HSCAN", "nokey", "0"], ["HELLO", "2"],
    ]


@group("memory-usage")
def _():
    return [
        ["MEMORY"], ["MEMORY", "FOO"], ["MEMORY", "USAGE"], ["MEMORY", "USAGE", "nokey"],
        ["SET", "k", "v"], ["MEMORY", "USAGE", "k", "SAMPLES"], ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
        ["MEMORY", "USAGE", "k", "SAMPLES", "-1"], ["MEMORY", "USAGE", "k", "FOO"],
        ["MEMORY", "USAGE", "nokey", "SAMPLES", "5"], ["MEMORY", "USAGE", "k", "SAMPLES", "1", "X"],
    ]


@group("resp3")
def _():
    return [
        ["HELLO", "3"], ["GET", "nokey"], ["HGETALL", "nokey"], ["HSET", "hh", "a", "1", "b", "2"],
        ["HGETALL", "hh"], ["HKEYS", "hh"], ["HVALS", "hh"], ["INCRBYFLOAT", "fl", "1.5"], ["MGET", "nokey", "fl"],
        ["HMGET", "hh", "a", "zz"], ["EXISTS", "hh"], ["CONFIG", "GET", "save"], ["PING"], ["SET", "x", "1", "GET"],
        ["TTL", "x"], ["ECHO", "x"], ["CLIENT", "GETNAME"], ["SET", "y", "1", "NX", "GET"], ["GETDEL", "nokey"],
        ["COMMAND", "INFO", "get", "mset", "nosuch"], ["HELLO", "2"], ["GET", "nokey"],
    ]


def normalise(cmd, raw):
    name = cmd[0].upper() if cmd else ""
    sub = cmd[1].upper() if len(cmd) > 1 else ""
    if name == "KEYS":
        return sorted_array(raw)
    if name == "SCAN" and raw.startswith(b"*2\r\n$1\r\n0\r\n"):
        head = b"*2\r\n$1\r\n0\r\n"
        return head + sorted_array(raw[len(head):])
    if name == "CLIENT" and sub == "ID":
        return re.sub(rb"^:\d+", b":<id>", raw)
    if name == "HELLO":
        return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:<id>\r\n", raw)
    if name == "CONFIG" and sub == "GET" and any(a.lower() == "port" for a in cmd[2:]):
        return re.sub(rb"\$\d+\r\n\d+\r\n$", b"<port>", raw)
    if name == "CONFIG" and sub == "GET" and len(cmd) > 3:
        return sorted_pairs(raw)
    return raw


def bulk_items(raw):
    """A RESP2 array of bulk strings: (its header's end, the items' raw
    bytes, where they end), or None for anything else."""
    m = re.match(rb"\*(\d+)\r\n", raw)
    if not m:
        return None
    items, pos = [], m.end()
    for _ in range(int(m.group(1))):
        b = re.match(rb"\$(\d+)\r\n", raw[pos:])
        if not b:
            return None
        end = pos + b.end() + int(b.group(1)) + 2
        items.append(raw[pos:end])
        pos = end
    return m.end(), items, pos


def sorted_array(raw):
    """Its items sorted (Redis answers KEYS and a one-page SCAN in its hash
    table's order, vellir in key order); anything else unchanged."""
    parsed = bulk_items(raw)
    if not parsed:
        return raw
    head, items, end = parsed
    return raw[:head] + b"".join(sorted(items)) + raw[end:]


def sorted_pairs(raw):
    """Its name/value pairs sorted; anything else unchanged."""
    parsed = bulk_items(raw)
    if not parsed:
        return raw
    head, items, end = parsed
    pairs = sorted(zip(items[0::2], items[1::2]))
    return raw[:head] + b"".join(a + v for a, v in pairs) + raw[end:]


def run_group(vport, rport, name, cmds):
    v, r = Conn(vport), Conn(rport)
    for c in (v, r):
        c.cmd("FLUSHALL")
    bad = 0
    for cmd in cmds:
        got = normalise(cmd, v.raw_cmd(*cmd))
        want = normalise(cmd, r.raw_cmd(*cmd))
        if got != want:
            bad += 1
            print("MISMATCH [%s] %r\n   redis:  %r\n   vellir: %r" % (name, cmd, want[:400], got[:400]))
    v.close()
    r.close()
    return bad, len(cmds)


def main():
    vport, rport = int(sys.argv[1]), int(sys.argv[2])
    total = bad = 0
    for name, fn in GROUPS.items():
        b, n = run_group(vport, rport, name, fn())
        print("%s %-40s %d commands" % ("ok  " if b == 0 else "FAIL", name, n))
        bad += b
        total += n
    print("%d of %d replies identical to redis-server's" % (total - bad, total))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
