#!/usr/bin/env python3
# resp-redis-probe.py -- sends each request shape of the RESP parser's test
# table to a real redis-server and prints what it answered, so that the table
# in tests/unit/test_resp.c and docs/resp.md can be checked against Redis.
#
# Owns: nothing; a standalone tool. Usage:
#   redis-server --port 16390 --save '' --appendonly no &
#   scripts/resp-redis-probe.py [PORT]
# Each case runs on a fresh connection: the bytes are sent in one write, the
# replies are read until the server closes or stays quiet for 0.3 s, and a
# trailing "PING" on a second write shows whether the connection is still
# parsing (a stalled parser never answers it).
import socket
import sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 16390

CASES = [
    ("multibulk ping", b"*1\r\n$4\r\nPING\r\n"),
    ("*0 then PING", b"*0\r\n*1\r\n$4\r\nPING\r\n"),
    ("*-1 then PING", b"*-1\r\n*1\r\n$4\r\nPING\r\n"),
    ("*-5 then PING", b"*-5\r\n*1\r\n$4\r\nPING\r\n"),
    ("*LLONG_MIN then PING", b"*-9223372036854775808\r\n*1\r\n$4\r\nPING\r\n"),
    ("*below LLONG_MIN", b"*-9223372036854775809\r\n"),
    ("* empty", b"*\r\n"),
    ("*+1", b"*+1\r\n$4\r\nPING\r\n"),
    ("*01", b"*01\r\n$4\r\nPING\r\n"),
    ("*-0", b"*-0\r\n"),
    ("*-", b"*-\r\n"),
    ("*x", b"*x\r\n"),
    ("*1 space after", b"*1 \r\n$4\r\nPING\r\n"),
    ("* space 1", b"* 1\r\n$4\r\nPING\r\n"),
    ("*1048576 (waits)", b"*1048576\r\n"),
    ("*1048577", b"*1048577\r\n"),
    ("*INT_MAX (waits)", b"*2147483647\r\n"),
    ("*INT_MAX+1", b"*2147483648\r\n"),
    ("*20 digits", b"*99999999999999999999\r\n"),
    ("*1 bare LF", b"*1\n$4\r\nPING\r\n"),
    ("*1 CR then X", b"*1\rX$4\r\nPING\r\n"),
    ("$ CR then X", b"*1\r\n$4\rXPING\r\n"),
    ("expected $ got x", b"*1\r\nx4\r\nPING\r\n"),
    ("expected $ got CR", b"*1\r\n\r\n"),
    ("expected $ got LF", b"*1\r\n\n\r\n"),
    ("expected $ got *", b"*2\r\n$4\r\nECHO\r\n*1\r\n"),
    ("expected $ got high byte", b"*1\r\n\xff4\r\n"),
    ("$-1 in request", b"*1\r\n$-1\r\n"),
    ("$ empty", b"*1\r\n$\r\n"),
    ("$+4", b"*1\r\n$+4\r\nPING\r\n"),
    ("$04", b"*1\r\n$04\r\nPING\r\n"),
    ("$-0", b"*1\r\n$-0\r\n"),
    ("$x", b"*1\r\n$x\r\n"),
    ("$ 4", b"*1\r\n$ 4\r\nPING\r\n"),
    ("$512MiB (waits)", b"*1\r\n$536870912\r\n"),
    ("$512MiB+1", b"*1\r\n$536870913\r\n"),
    ("$4 bare LF", b"*1\r\n$4\nPING\r\n"),
    ("bulk trailer not CRLF", b"*1\r\n$4\r\nPINGxy"),
    ("bulk trailer LF only", b"*1\r\n$4\r\nPING\n*1\r\n$4\r\nPING\r\n"),
    ("empty bulk arg", b"*1\r\n$0\r\n\r\n"),
    ("echo empty", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"),
    ("echo binary", b"*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n"),
    ("NUL in mbulk header", b"*1\x00\r\n"),
    ("NUL first in bulk header", b"*1\r\n\x00\r\n"),
    ("too big mbulk count 65536", b"*" + b"1" * 65535),
    ("too big mbulk count 65537", b"*" + b"1" * 65536),
    ("too big bulk count 65536", b"*1\r\n" + b"$" + b"1" * 65535),
    ("too big bulk count 65537", b"*1\r\n" + b"$" + b"1" * 65536),
    ("mbulk count CR far away", b"*" + b"1" * 70000 + b"\r\n"),
    ("incomplete bulk", b"*1\r\n$4\r\nPI"),
    ("pipeline inline+mbulk", b"PING\r\n*1\r\n$4\r\nPING\r\nPING\n"),
    ("ok then error", b"PING\r\n*x\r\nPING\r\n"),
    ("inline PING CRLF", b"PING\r\n"),
    ("inline PING LF", b"PING\n"),
    ("inline empty lines", b"\r\n\n   \r\n\t\r\nPING\r\n"),
    ("inline CR CR LF", b"ECHO a\r\r\n"),
    ("inline lone CR in middle", b"ECHO a\rb\r\n"),
    ("inline VT inside token", b"ECHO a\x0bb\r\n"),
    ("inline VT leading", b"\x0bECHO a\r\n"),
    ("inline quoted cmd", b"\"PING\"\r\n"),
    ("inline escapes", b"ECHO \"a\\x41\\n\\r\\t\\b\\a\\\\\\\"z\"\r\n"),
    ("inline bad hex", b"ECHO \"\\xZZ\\x4\"\r\n"),
    ("inline other escape", b"ECHO \"\\q\\0\"\r\n"),
    ("inline single quotes", b"ECHO 'a\\'b\\n\"c'\r\n"),
    ("inline quote mid-token", b"ECHO a\"b c\"\r\n"),
    ("inline sq mid-token", b"ECHO a'b c'\r\n"),
    ("inline empty quotes", b"ECHO \"\"\r\n"),
    ("unbalanced dq", b"ECHO \"abc\r\n"),
    ("unbalanced sq", b"ECHO 'abc\r\n"),
    ("closing dq then char", b"ECHO \"a\"b\r\n"),
    ("closing sq then char", b"ECHO 'a'b\r\n"),
    ("closing dq then VT", b"ECHO \"a\"\x0b\r\n"),
    ("closing dq then quote", b"ECHO \"a\"\"b\"\r\n"),
    ("backslash at end in dq", b"ECHO \"a\\\r\n"),
    ("inline high bytes", b"ECHO \xc3\xa9\r\n"),
    ("inline NUL", b"ECHO a\x00b\r\n"),
    ("inline 65536 no LF", b"A" * 65536),
    ("inline 65537 no LF", b"A" * 65537),
    ("inline 70000 with LF, one write", b"ECHO " + b"a" * 70000 + b"\r\n"),
    ("inline starting with space then *", b" *1\r\n"),
    ("resp3 hello", b"HELLO 3\r\nPING\r\n"),
]


def probe(data):
    s = socket.create_connection(("127.0.0.1", PORT))
    s.settimeout(0.3)
    s.sendall(data)
    out = b""
    closed = False
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
    except socket.timeout:
        pass
    alive = ""
    if not closed:
        try:
            s.sendall(b"\r\nPING\r\n")
            s.settimeout(0.3)
            extra = s.recv(65536)
            alive = "then PONG" if b"PONG" in extra else ("then closed" if not extra else "then %r" % extra)
        except socket.timeout:
            alive = "stalled (no answer to a later PING)"
        except OSError:
            alive = "then closed"
    s.close()
    return out, closed, alive


def main():
    for name, data in CASES:
        out, closed, alive = probe(data)
        shown = out if len(out) < 200 else out[:80] + b"..." + out[-40:]
        print("%-36s %r %s%s" % (name, shown, "[closed]" if closed else "", alive))


if __name__ == "__main__":
    main()
