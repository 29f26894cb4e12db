#!/usr/bin/python3
"""test_upstreams.py -- vellir-server's --upstream postgres and cassandra
without a database: the options and --help; passwords from files (one
others may read refused) and the environment, never shown; and the start
that fails: nothing at an unused port, a host name that does not resolve,
one line naming the upstream, where, and why, exit code 1, never a server
left listening.

A live PostgreSQL is test_pg_server.py's (make server-test-pg); a live
Cassandra is a later step.

Usage: test_upstreams.py VELLIR_BINARY
Owns: the processes and temporary files it makes. Threads: one.
"""
import os
import subprocess
import sys
import tempfile

from srvctl import free_port, start_fails
from suite import run, test

BINARY = sys.argv[1]
SECRET = "hunter2-not-logged"


def env(**extra):
    e = {k: v for k, v in os.environ.items()
         if k not in ("VELLIR_PG_PASSWORD", "VELLIR_CASSANDRA_PASSWORD", "PGPASSWORD")}
    e.update(extra)
    return e


def password_file(mode, text=SECRET + "\n"):
    fd, path = tempfile.mkstemp(prefix="vellir-pw-")
    os.write(fd, text.encode())
    os.close(fd)
    os.chmod(path, mode)
    return path


def one_line(out, start):
    """The output's lines that are not warnings: exactly one, beginning with start."""
    lines = [l for l in out.splitlines() if l and "warning:" not in l]
    assert len(lines) == 1 and lines[0].startswith(start), "want one line %r, got:\n%s" % (start, out)
    assert "listening on" not in out, out
    return lines[0]


def refused(args, want, e=None):
    code, out, took = start_fails(BINARY, args, env=e or env())
    assert code == 2, "exit %s, want 2: %s" % (code, out)
    assert want in out, "want %r in:\n%s" % (want, out)
    assert SECRET not in out, out
    return out


PG = ["--upstream", "postgres"]
CASS = ["--upstream", "cassandra", "--cassandra-keyspace", "ks"]


@test
def test_help():
    p = subprocess.run([BINARY, "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    flat = " ".join(p.stdout.split())
    for want in ("--upstream NAME", "sqlite | memory | postgres | cassandra",
                 "--pg-conninfo CONNINFO", "(required)", "--pg-password-file PATH",
                 "VELLIR_PG_PASSWORD", "PGPASSWORD or ~/.pgpass", "--cassandra-hosts HOST",
                 "--cassandra-keyspace NAME", "--cassandra-consistency LEVEL",
                 "--cassandra-password-file PATH", "VELLIR_CASSANDRA_PASSWORD",
                 "never from the command line"):
        assert want in flat, "--help lacks %r" % want


@test
def test_options_refused():
    refused(PG, "--upstream postgres needs --pg-conninfo CONNINFO")
    refused(["--upstream", "cassandra"], "--upstream cassandra needs --cassandra-keyspace NAME")
    refused(["--pg-conninfo", "host=x"], "--pg-conninfo is an option of --upstream postgres, "
            "and this server's upstream is sqlite")
    refused(PG + ["--pg-conninfo", "host=x", "--cassandra-port", "1"],
            "--cassandra-port is an option of --upstream cassandra")
    refused(PG + ["--pg-conninfo", "host=x nonsense=1"],
            "bad value for --pg-conninfo: not a libpq connection string: invalid connection option")
    # libpq would quote the string back: not when it may hold a password
    out = refused(PG + ["--pg-conninfo", "postgresql://u:%s@[::1/db" % SECRET],
                  "not a libpq connection string")
    refused(PG + ["--pg-conninfo", "host=x", "--pg-table", "a-b"], "bad value for --pg-table")
    refused(CASS + ["--cassandra-hosts", "a,b"], "takes one contact point")
    refused(["--upstream", "cassandra", "--cassandra-keyspace", "no-dash"],
            "bad value for --cassandra-keyspace")
    refused(CASS + ["--cassandra-consistency", "any"], "not one of: one, two")


@test
def test_password_files():
    loose = password_file(0o644)
    group = password_file(0o640)
    empty = password_file(0o600, "")
    try:
        out = refused(PG + ["--pg-conninfo", "host=127.0.0.1", "--pg-password-file", loose],
                      "permissions 0644 are too open")
        assert loose in out and "chmod 600" in out
        refused(PG + ["--pg-conninfo", "host=127.0.0.1", "--pg-password-file", group],
                "permissions 0640 are too open")
        refused(PG + ["--pg-conninfo", "host=127.0.0.1", "--pg-password-file", empty], "is empty")
        refused(PG + ["--pg-conninfo", "host=127.0.0.1", "--pg-password-file", loose + ".none"],
                "No such file or directory")
        refused(CASS + ["--cassandra-user", "app", "--cassandra-password-file", loose],
                "permissions 0644 are too open")
    finally:
        for p in (loose, group, empty):
            os.unlink(p)


@test
def test_two_passwords_refused():
    ok = password_file(0o600)
    try:
        refused(PG + ["--pg-conninfo", "host=127.0.0.1", "--pg-password-file", ok],
                "both --pg-password-file and the environment variable VELLIR_PG_PASSWORD",
                env(VELLIR_PG_PASSWORD=SECRET))
        refused(PG + ["--pg-conninfo", "host=127.0.0.1 password=" + SECRET, "--pg-password-file",
                      ok], "--pg-conninfo holds a password and --pg-password-file gives another")
        refused(PG + ["--pg-conninfo", "postgresql://u:%s@127.0.0.1/db" % SECRET],
                "--pg-conninfo holds a password and VELLIR_PG_PASSWORD gives another",
                env(VELLIR_PG_PASSWORD="other"))
        refused(CASS + ["--cassandra-user", "app", "--cassandra-password-file", ok],
                "both --cassandra-password-file and the environment variable",
                env(VELLIR_CASSANDRA_PASSWORD=SECRET))
    finally:
        os.unlink(ok)


def unreachable(args, e=None):
    """Starts against nothing: exit 1, one line, quickly."""
    code, out, took = start_fails(BINARY, ["--shards", "4"] + args, env=e or env())
    assert code == 1, "exit %s, want 1: %s" % (code, out)
    assert SECRET not in out, out
    assert took < 10, "took %.1f s" % took
    return out


@test
def test_pg_unreachable():
    port = free_port()
    out = unreachable(PG + ["--pg-conninfo", "host=127.0.0.1 port=%d dbname=app user=app" % port])
    line = one_line(out, "vellir-server: cannot start: upstream postgres at ")
    for want in ("host=127.0.0.1", "port=%d" % port, "table vellir",
                 'connection to server at "127.0.0.1", port %d failed: Connection refused' % port,
                 "(VL_EUNAVAILABLE)"):
        assert want in line, "want %r in %r" % (want, line)


@test
def test_pg_host_does_not_resolve():
    out = unreachable(PG + ["--pg-conninfo", "postgresql://app@no-such-host.invalid/app"])
    line = one_line(out, "vellir-server: cannot start: upstream postgres at ")
    assert 'could not translate host name "no-such-host.invalid"' in line, line
    assert "(VL_EUNAVAILABLE)" in line, line


@test
def test_pg_password_masked_and_warned():
    port = free_port()
    out = unreachable(PG + ["--pg-conninfo",
                            "postgresql://app:%s@127.0.0.1:%d/app" % (SECRET, port)])
    warn = [l for l in out.splitlines() if "warning:" in l]
    assert len(warn) == 1 and "holds a password, which ps shows" in warn[0], out
    assert "--pg-password-file" in warn[0] and "VELLIR_PG_PASSWORD" in warn[0], out
    line = one_line(out, "vellir-server: cannot start: upstream postgres at ")
    assert "password=********" in line, line


@test
def test_pg_password_from_file_and_env_accepted():
    """Accepted (the start then fails on the unused port, not on the password)."""
    ok = password_file(0o600)
    ro = password_file(0o400)
    try:
        for extra, e in ((["--pg-password-file", ok], env()), (["--pg-password-file", ro], env()),
                         ([], env(VELLIR_PG_PASSWORD=SECRET))):
            port = free_port()
            out = unreachable(PG + ["--pg-conninfo", "host=127.0.0.1 port=%d user=app" % port] +
                              extra, e)
            line = one_line(out, "vellir-server: cannot start: upstream postgres at ")
            assert "Connection refused" in line and "password" not in line, line
    finally:
        os.unlink(ok)
        os.unlink(ro)


@test
def test_cassandra_unreachable():
    port = free_port()
    out = unreachable(CASS + ["--cassandra-port", str(port)])
    line = one_line(out, "vellir-server: cannot start: upstream cassandra at 127.0.0.1:%d, "
                         "table ks.vellir: " % port)
    assert "connection refused" in line and "(VL_EUNAVAILABLE)" in line, line


@test
def test_cassandra_host_does_not_resolve():
    out = unreachable(CASS + ["--cassandra-hosts", "no-such-host.invalid"])
    one_line(out, "vellir-server: cannot start: upstream cassandra: the contact point "
                  "'no-such-host.invalid' does not resolve")


@test
def test_cassandra_host_name_resolved():
    port = free_port()
    out = unreachable(CASS + ["--cassandra-hosts", "localhost", "--cassandra-port", str(port)])
    one_line(out, "vellir-server: cannot start: upstream cassandra at localhost:%d" % port)


@test
def test_cassandra_credentials():
    refused(CASS + ["--cassandra-user", "app"], "--cassandra-user needs a password")
    refused(CASS, "VELLIR_CASSANDRA_PASSWORD gives a password, but --cassandra-user is not set",
            env(VELLIR_CASSANDRA_PASSWORD=SECRET))
    ok = password_file(0o600)
    try:
        for extra, e in ((["--cassandra-password-file", ok], env()),
                         ([], env(VELLIR_CASSANDRA_PASSWORD=SECRET))):
            port = free_port()
            out = unreachable(CASS + ["--cassandra-port", str(port), "--cassandra-user", "app"] +
                              extra, e)
            one_line(out, "vellir-server: cannot start: upstream cassandra at 127.0.0.1:%d" % port)
    finally:
        os.unlink(ok)


if __name__ == "__main__":
    run("upstream option tests")
