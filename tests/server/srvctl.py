"""srvctl.py -- starting and stopping servers for the server tests: a
vellir-server binary (or redis-server) on a free loopback port with its own
data directory, stopped by its own pid; and a start that must fail
(start_fails).

Owns: the processes it starts (never any other). Threads: one.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "WARNING: ThreadSanitizer",
                   "runtime error:")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def ping_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as c:
            c.sendall(b"PING\r\n")
            return c.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class Server:
    """A server process. `binary` is vellir-server's path, or "redis-server"."""

    def __init__(self, binary, args=(), data_dir=None, port=None, env=None):
        self.binary = binary
        self.port = port or free_port()
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="vellir-srv-test-")
        self.log_path = os.path.join(self.dir, "server.log")
        self.args = list(args)
        self.env = env
        self.proc = None

    def start(self, timeout=20.0):
        if os.path.basename(self.binary) == "redis-server":
            cmd = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", self.dir, "--daemonize", "no"]
        else:
            cmd = [self.binary, "--port", str(self.port), "--data-dir", self.dir] + self.args
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=self.env)
        end = time.time() + timeout
        while time.time() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited (%s): %s" % (cmd, self.proc.returncode, self.log_text()))
            if ping_ok(self.port):
                return self
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("%s did not answer PING within %.0f s" % (cmd, timeout))

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    def signal(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)

    def wait(self, timeout=60.0):
        """The exit code, or None if it did not exit in time."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=60.0):
        """SIGTERM, then wait; returns the exit code (SIGKILL after timeout)."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.wait(timeout)
        if code is None:
            self.kill()
            code = self.proc.wait()
        self.log.close()
        self.check_log()
        return code

    def check_log(self):
        """Fails if a sanitizer reported anything (ASan, UBSan, LSan, TSan)."""
        text = self.log_text()
        for mark in SANITIZER_MARKS:
            if mark in text:
                raise AssertionError("sanitizer report in %s:\n%s" % (self.log_path, text[-3000:]))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        if self.own_dir:
            subprocess.run(["rm", "-rf", self.dir])


def listening(port):
    """Whether anything accepts a connection on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def start_fails(binary, args, env=None, timeout=30.0):
    """Runs vellir-server with args on a free port, expecting it to exit by
    itself. Returns (exit code, stderr text, seconds taken); on its way out
    nothing may listen on its port (a failed start leaves no server)."""
    port = free_port()
    d = tempfile.mkdtemp(prefix="vellir-srv-test-")
    t0 = time.time()
    try:
        p = subprocess.run([binary, "--port", str(port), "--data-dir", d] + list(args),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
    finally:
        subprocess.run(["rm", "-rf", d])
    took = time.time() - t0
    out = p.stderr.decode("utf-8", "replace") + p.stdout.decode("utf-8", "replace")
    assert not listening(port), "something listens on %d after a failed start" % port
    for mark in SANITIZER_MARKS:
        assert mark not in out, "sanitizer report:\n%s" % out[-3000:]
    return p.returncode, out, took
