#!/usr/bin/python3
"""bench_server.py -- vellir-server against Debian's redis-server, with
redis-benchmark, on loopback, in one run.

Usage: bench/bench_server.py [-n REQUESTS] [--runs R] [--server-cpus 0] [--client-cpus 1]
                             [--vellir build/default/vellir-server] [--tests set,get,incr]
                             [--vellir-before OTHER/vellir-server]

Three servers, each started fresh, pinned to the same CPU set (taskset),
one at a time (so they never compete with each other):
  redis          redis-server, no persistence (--save '' --appendonly no)
  redis-aof      redis-server, --appendonly yes --appendfsync everysec
  vellir         vellir-server on its SQLite default, --durability within:1000
and, with --vellir-before, a fourth: that build of vellir-server (an older
commit's), for a change's before and after in the same run.
redis-benchmark runs pinned to the other CPU set:
  redis-benchmark -c 50 -n N -r 100000 -t set,get,incr -P {1,16} --csv
With --runs R > 1 the servers take turns R times and the median of each
cell is reported (the machine is shared; see the noise lines printed).

Owns: its scratch directory (removed at the end) and the servers it
started, which it stops by their own pids. Prints a markdown table:
requests/s and p99 (ms) per server, and vellir/redis ratios.
"""
import argparse
import csv
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_ready(port, proc, seconds=20):
    """Until the server answers PING with PONG (not LOADING)."""
    end = time.time() + seconds
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
                c.sendall(b"PING\r\n")
                if c.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server on port %d did not start" % port)


def start(kind, args, tmp, port, tag):
    d = os.path.join(tmp, "%s-%s" % (kind, tag))  # a fresh directory: no data from before
    os.makedirs(d, exist_ok=True)
    log = open(os.path.join(d, "log"), "w")
    if kind.startswith("redis"):
        cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
               "--save", "", "--daemonize", "no"]
        if kind == "redis-aof":
            cmd += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            cmd += ["--appendonly", "no"]
    else:
        binary = args.vellir_before if kind == "vellir-before" else args.vellir
        cmd = [binary, "--port", str(port), "--data-dir", d, "--durability", "within:1000"]
    cmd = ["taskset", "-c", args.server_cpus] + cmd
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=d)
    wait_ready(port, proc)
    return proc


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench(args, port, pipeline):
    cmd = ["taskset", "-c", args.client_cpus, "redis-benchmark", "-h", "127.0.0.1", "-p", str(port),
           "-c", "50", "-n", str(args.n), "-r", "100000", "-t", args.tests, "-P", str(pipeline),
           "--csv"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError("redis-benchmark failed: %s %s" % (res.stdout[-500:], res.stderr[-500:]))
    out = res.stdout
    rows = {}
    for row in csv.reader(io.StringIO(out)):
        if not row or row[0] == "test":
            continue
        # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
        # "p95_latency_ms","p99_latency_ms","max_latency_ms"
        rows[row[0]] = (float(row[1]), float(row[6]))
    return rows


def noise():
    load = open("/proc/loadavg").read().split()[:3]
    top = subprocess.run(["ps", "-eo", "pcpu,psr,comm", "--sort=-pcpu"], capture_output=True,
                         text=True).stdout.splitlines()[1:6]
    return "load average %s; busiest processes: %s" % (
        " ".join(load), "; ".join(" ".join(t.split()) for t in top))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--server-cpus", default="0")
    ap.add_argument("--client-cpus", default="1")
    ap.add_argument("--tests", default="set,get,incr")
    ap.add_argument("--vellir", default=os.path.join(ROOT, "build/default/vellir-server"))
    ap.add_argument("--vellir-before", help="another vellir-server build to compare with")
    args = ap.parse_args()
    for tool in ("redis-server", "redis-benchmark", "taskset"):
        if not shutil.which(tool):
            sys.exit("bench_server: %s is missing (apt-get install redis-server redis-tools util-linux)" % tool)
    tmp = tempfile.mkdtemp(prefix="vellir-bench-")
    kinds = ["redis", "redis-aof", "vellir"] + (["vellir-before"] if args.vellir_before else [])
    results = {}  # (kind, pipeline, test) -> [(rps, p99)]
    print("# noise before: %s" % noise(), flush=True)
    try:
        for run in range(args.runs):
            for kind in kinds:
                for p in (1, 16):
                    port = free_port()
                    proc = start(kind, args, tmp, port, "%d-%d" % (run, p))
                    try:
                        rows = bench(args, port, p)
                    finally:
                        stop(proc)
                    for test, v in rows.items():
                        results.setdefault((kind, p, test), []).append(v)
                    print("# run %d %-9s P%-2d %s" % (run + 1, kind, p, " ".join(
                        "%s=%.0f/s,p99=%.3fms" % (t, v[0], v[1]) for t, v in rows.items())), flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# noise after: %s" % noise())
    tests = [t.upper() for t in args.tests.split(",")]
    med = lambda xs, i: statistics.median(x[i] for x in xs)
    print()
    print("| test | P | redis rps | redis-aof rps | vellir rps | vellir/redis | vellir/redis-aof "
          "| redis p99 ms | redis-aof p99 ms | vellir p99 ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for p in (1, 16):
        for t in tests:
            r, a, v = (results.get((k, p, t)) for k in kinds[:3])
            if not (r and a and v):
                continue
            print("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.2f | %.3f | %.3f | %.3f |" % (
                t, p, med(r, 0), med(a, 0), med(v, 0), med(v, 0) / med(r, 0),
                med(v, 0) / med(a, 0), med(r, 1), med(a, 1), med(v, 1)))
    if args.vellir_before:
        print("\n| test | P | before rps | after rps | after/before | before p99 ms | after p99 ms |")
        print("|---|---|---|---|---|---|---|")
        for p in (1, 16):
            for t in tests:
                b, v = results.get(("vellir-before", p, t)), results.get(("vellir", p, t))
                if b and v:
                    print("| %s | %d | %.0f | %.0f | %.2f | %.3f | %.3f |" % (
                        t, p, med(b, 0), med(v, 0), med(v, 0) / med(b, 0), med(b, 1), med(v, 1)))
    print("\n(%d requests per test, %d run(s), median shown; servers on CPUs %s, client on %s)" % (
        args.n, args.runs, args.server_cpus, args.client_cpus))


if __name__ == "__main__":
    main()
