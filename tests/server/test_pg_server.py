#!/usr/bin/python3
"""test_pg_server.py -- vellir-server in front of a real PostgreSQL
(scripts/pg-node.sh's instance): redis-py writes through `--upstream
postgres --durability immediate` and psql reads every acknowledged write at
once, its CBOR decoded by python3-cbor2; rows psql writes are read by the
server; the server's backends killed (pg_terminate_backend) while clients
write: the server keeps serving and no acknowledged write is lost; the
password from a file or the environment, a wrong one, one in the connection
string (warned about and masked), a missing table; SCAN over the table; a
restart reads the table back; FLUSHALL empties it.

Usage: test_pg_server.py VELLIR_BINARY     (make server-test-pg)
VELLIR_PG_DSN (or VELLIR_PG_PORT) says where the instance is, as for
make test-pg; its role vellir_pw has the password scripts/pg-node.sh gives it.
Owns: the servers it starts, its tables (vellir_srv_PID_*, dropped at the
end) and temporary files. Threads: the main one, and writers in
test_backend_killed.
"""
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import cbor2
import redis

from srvctl import Server, start_fails
from suite import run, test

BINARY = sys.argv[1]
DSN = os.environ.get("VELLIR_PG_DSN") or \
    "postgresql://vellir@127.0.0.1:%s/vellir_test" % os.environ.get("VELLIR_PG_PORT", "15432")
_u = urllib.parse.urlsplit(DSN)
HOST, PORT, DB, USER = _u.hostname, _u.port or 5432, _u.path.lstrip("/"), _u.username
PW_ROLE, PW = "vellir_pw", "vellir-secret"  # scripts/pg-node.sh's role with a password
TABLES = []  # (table, owner)


def conninfo(user=USER, app="vellir-srv-test", password=None):
    s = "host=%s port=%d dbname=%s user=%s application_name=%s" % (HOST, PORT, DB, user, app)
    return s + (" password=%s" % password if password else "")


def env(**extra):
    e = {k: v for k, v in os.environ.items()
         if k not in ("VELLIR_PG_PASSWORD", "PGPASSWORD", "VELLIR_CASSANDRA_PASSWORD")}
    e.update(extra)
    return e


def psql(sql, user=USER):
    """Runs sql; the rows as lists of fields ('|'-separated, unaligned)."""
    e = env(PGPASSWORD=PW) if user == PW_ROLE else env()
    p = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                        "-d", conninfo(user, "vellir-srv-test-psql"), "-c", sql],
                       capture_output=True, text=True, env=e)
    assert p.returncode == 0, "psql %r: %s" % (sql, p.stderr)
    return [line.split("|") for line in p.stdout.splitlines() if line]


def table(name, owner=USER):
    t = "vellir_srv_%d_%s" % (os.getpid(), name)
    TABLES.append((t, owner))
    return t


def rows(t, user=USER):
    """{key bytes: (value bytes, expires_at ms or None)}, read by psql."""
    out = {}
    for k, v, e in psql("SELECT encode(key, 'hex'), encode(value, 'hex'), "
                        "(EXTRACT(EPOCH FROM expires_at) * 1000)::int8 FROM \"%s\"" % t, user):
        out[bytes.fromhex(k)] = (bytes.fromhex(v), int(e) if e else None)
    return out


def pg_server(t, *extra, app="vellir-srv-test", user=USER, e=None, create=True):
    args = ["--upstream", "postgres", "--pg-conninfo", conninfo(user, app), "--pg-table", t,
            "--durability", "immediate", "--shards", "2"] + (["--pg-create"] if create else [])
    return Server(BINARY, args + list(extra), env=e or env()).start()


def info(r):
    return r.info("upstream")


@test
def test_write_through_read_by_psql():
    t = table("write")
    srv = pg_server(t)
    try:
        r = redis.Redis(port=srv.port)
        r.set("s:str", b"hello\x00world")
        r.set("s:int", "42")
        r.set("s:neg", "-500")
        r.set("s:text", "042")  # not canonical: a string
        for _ in range(5):
            r.incr("s:ctr")
        r.hset("h", mapping={"f": "v", "g": ""})
        r.set("s:ttl", "x", ex=100)
        r.set("s:gone", "x")
        r.delete("s:gone")
        r.set("s:big", b"\xff" * 100000)
        # immediate: every answered write is in the table now, server running
        got = rows(t)
        now = time.time() * 1000
        want = {b"s:str": b"hello\x00world", b"s:int": 42, b"s:neg": -500, b"s:text": b"042",
                b"s:ctr": 5, b"h": {b"f": b"v", b"g": b""}, b"s:ttl": b"x",
                b"s:big": b"\xff" * 100000}
        assert set(got) == set(want), sorted(got)
        for k, v in want.items():
            assert cbor2.loads(got[k][0]) == v, (k, got[k][0][:40])
        assert got[b"s:int"][0] == bytes.fromhex("182a")          # docs/server.md's examples
        assert got[b"s:neg"][0] == bytes.fromhex("3901f3")
        assert got[b"h"][0] == bytes.fromhex("a2416641764167" + "40")
        assert 98000 < got[b"s:ttl"][1] - now <= 100500, got[b"s:ttl"]
        assert got[b"s:str"][1] is None
        i = info(r)
        assert i["upstream_name"] == "postgres" and i["upstream_state"] == "up", i
        assert i["upstream_connections"] == 2 and i["upstream_table"] == t, i
        assert "password" not in i["upstream_target"], i
        assert i["upstream_credentials"] == "libpq (PGPASSWORD, ~/.pgpass) or none", i

        # SCAN lists the table's keys (and memory's: here the same ones)
        assert set(r.scan_iter(count=3)) == set(want), sorted(r.scan_iter())
        assert r.dbsize() == len(want)

        # a restart reads the table back (nothing cached)
        assert srv.stop() == 0
        again = pg_server(t, create=False)
        r = redis.Redis(port=again.port)
        assert r.get("s:str") == b"hello\x00world" and r.get("s:int") == b"42"
        assert r.hgetall("h") == {b"f": b"v", b"g": b""} and 98 <= r.ttl("s:ttl") <= 100
        assert r.get("s:gone") is None and r.incr("s:ctr") == 6
        # FLUSHALL empties the table (TRUNCATE, in queue order)
        assert r.flushall() is True
        assert rows(t) == {}, rows(t)
        assert r.get("s:str") is None and r.dbsize() == 0
        assert again.stop() == 0
    finally:
        srv.kill()
        srv.cleanup()


@test
def test_rows_written_by_psql():
    t = table("psql")
    srv = pg_server(t)
    try:
        def put(key, value, expires=None):
            psql("INSERT INTO \"%s\" VALUES (decode('%s', 'hex'), decode('%s', 'hex'), %s)"
                 % (t, key.hex(), cbor2.dumps(value).hex(), expires or "NULL"))
        put(b"p:bytes", b"from psql")
        put(b"p:text", "a text string")           # accepted where bytes are expected
        put(b"p:int", 7)
        put(b"p:hash", {b"a": b"1", b"b": 2})       # an integer hash value reads as text
        put(b"p:ttl", b"soon", "now() + interval '1 hour'")
        put(b"p:old", b"expired", "now() - interval '1 second'")
        put(b"p:bad", [1, 2, 3])                    # not a value of this server
        r = redis.Redis(port=srv.port)
        assert r.get("p:bytes") == b"from psql"
        assert r.get("p:text") == b"a text string"
        assert r.incr("p:int") == 8
        assert r.hgetall("p:hash") == {b"a": b"1", b"b": b"2"}
        assert 3590 <= r.ttl("p:ttl") <= 3600
        assert r.get("p:old") is None
        try:
            r.get("p:bad")
            raise AssertionError("a list decoded")
        except redis.ResponseError as err:
            assert "its bytes do not decode (VL_ECORRUPT)" in str(err), err
        assert cbor2.loads(rows(t)[b"p:int"][0]) == 8  # the INCR, committed
        assert info(r)["upstream_errors_replied"] == "VL_ECORRUPT=1", info(r)
        assert srv.stop() == 0
    finally:
        srv.kill()
        srv.cleanup()


@test
def test_backend_killed():
    """pg_terminate_backend on the server's connections while 3 clients
    write: the server reconnects and keeps serving, and every write it
    answered OK is in the table."""
    t = table("kill")
    app = "vellir-srv-kill-%d" % os.getpid()
    srv = pg_server(t, app=app)
    acked, errors = {}, []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        r = redis.Redis(port=srv.port)
        i = 0
        while not stop.is_set() or i < 50:
            k, v = "kill:%d:%d" % (w, i), "v%d" % i
            try:
                if r.set(k, v):
                    with lock:
                        acked[k.encode()] = v.encode()
            except redis.ResponseError as err:  # ERR vellir: ... (not acknowledged)
                with lock:
                    errors.append(str(err))
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    try:
        for th in threads:
            th.start()
        killed = 0
        for _ in range(3):
            time.sleep(0.3)
            killed += int(psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                               "WHERE application_name = '%s'" % app)[0][0])
        time.sleep(0.3)
        stop.set()
        for th in threads:
            th.join(60)
        assert killed >= 3, killed
        r = redis.Redis(port=srv.port)
        assert r.set("after", "kill") and r.get("after") == b"kill"
        deadline = time.time() + 10
        while info(r)["upstream_state"] != "up" and time.time() < deadline:
            time.sleep(0.05)
        i = info(r)
        assert i["upstream_state"] == "up" and i["upstream_disconnects"] >= 1, i
        assert "connection lost" in srv.log_text() or "reconnected" in srv.log_text()
        got = rows(t)
        lost = [k for k, v in acked.items() if k not in got or cbor2.loads(got[k][0]) != v]
        assert not lost, "%d acknowledged writes lost, e.g. %s" % (len(lost), lost[:5])
        assert len(acked) >= 150, len(acked)
        print("#   %d writes acknowledged, %d refused, %d backends terminated, %s"
              % (len(acked), len(errors), killed, i["upstream_errors_replied"] or "no errors"))
        assert srv.stop() == 0
    finally:
        stop.set()
        srv.kill()
        srv.cleanup()


def password_file(text, mode=0o600):
    fd, path = tempfile.mkstemp(prefix="vellir-pw-")
    os.write(fd, (text + "\n").encode())
    os.close(fd)
    os.chmod(path, mode)
    return path


@test
def test_password_from_file_and_env():
    t = table("pw", PW_ROLE)
    pwf = password_file(PW)
    try:
        for extra, e, source in ((["--pg-password-file", pwf], env(), "--pg-password-file"),
                                 ([], env(VELLIR_PG_PASSWORD=PW), "VELLIR_PG_PASSWORD")):
            srv = pg_server(t, *extra, user=PW_ROLE, e=e)
            try:
                r = redis.Redis(port=srv.port)
                r.incr("pw:ctr")
                i = info(r)
                assert i["upstream_credentials"] == source and "user=vellir_pw" in i["upstream_target"], i
                assert PW not in str(r.info("everything"))
                assert PW not in str(r.config_get("vellir-upstream"))
                assert srv.stop() == 0
                assert PW not in srv.log_text()
            finally:
                srv.kill()
                srv.cleanup()
        assert cbor2.loads(rows(t, PW_ROLE)[b"pw:ctr"][0]) == 2
        os.chmod(pwf, 0o604)
        code, out, _ = start_fails(BINARY, ["--upstream", "postgres", "--pg-conninfo",
                                            conninfo(PW_ROLE), "--pg-password-file", pwf], env())
        assert code == 2 and "permissions 0604 are too open" in out and PW not in out, out
    finally:
        os.unlink(pwf)


@test
def test_wrong_password():
    wrong = "not-the-password-x1"
    pwf = password_file(wrong)
    try:
        code, out, took = start_fails(BINARY, ["--upstream", "postgres", "--shards", "4",
                                               "--pg-conninfo", conninfo(PW_ROLE),
                                               "--pg-password-file", pwf], env())
    finally:
        os.unlink(pwf)
    lines = out.splitlines()
    assert code == 1 and len(lines) == 1, (code, out)
    assert lines[0].startswith("vellir-server: cannot start: upstream postgres at "), out
    assert 'password authentication failed for user "vellir_pw"' in out and "(VL_EAUTH)" in out
    assert "port=%d" % PORT in out and wrong not in out, out
    assert took < 10, took


@test
def test_password_in_conninfo_warned_and_masked():
    t = table("inline", PW_ROLE)
    srv = Server(BINARY, ["--upstream", "postgres", "--pg-create", "--pg-table", t, "--pg-conninfo",
                          conninfo(PW_ROLE, password=PW)], env=env()).start()
    try:
        r = redis.Redis(port=srv.port)
        r.set("inline", "1")
        i = info(r)
        assert "password=********" in i["upstream_target"], i
        assert i["upstream_credentials"] == "--pg-conninfo", i
        assert PW not in str(r.info("everything"))
        assert PW not in str(r.config_get("*"))
        assert srv.stop() == 0
        log = srv.log_text()
        assert "holds a password, which ps shows to every user" in log and PW not in log, log
    finally:
        srv.kill()
        srv.cleanup()


@test
def test_missing_table():
    code, out, _ = start_fails(BINARY, ["--upstream", "postgres", "--pg-conninfo", conninfo(),
                                        "--pg-table", "vellir_srv_no_such_table"], env())
    assert code == 1 and len(out.splitlines()) == 1, (code, out)
    assert 'relation "vellir_srv_no_such_table" does not exist' in out and "VL_ESCHEMA" in out, out


def drop_tables():
    for t, owner in TABLES:
        psql("DROP TABLE IF EXISTS \"%s\"" % t, owner)


if __name__ == "__main__":
    run("PostgreSQL server tests", drop_tables)
