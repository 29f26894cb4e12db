"""respc.py -- a minimal RESP client for the server tests: sends commands
as multibulk (or raw bytes) and reads one reply, returning both its parsed
form and its exact bytes.

Owns: one socket per Conn. Threads: single-threaded use.
Written for these tests (no Redis code); Python 3 standard library only.
"""
import socket
import time


class Closed(Exception):
    """The server closed the connection."""


class Conn:
    def __init__(self, port, host="127.0.0.1", timeout=10.0):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.raw = b""  # bytes of the last reply

    def close(self):
        self.s.close()

    @staticmethod
    def encode(*args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if isinstance(a, int):
                a = str(a).encode()
            elif isinstance(a, str):
                a = a.encode("latin1")
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def send(self, *args):
        self.s.sendall(self.encode(*args))

    def send_raw(self, data):
        self.s.sendall(data)

    def _fill(self):
        d = self.s.recv(1 << 16)
        if not d:
            raise Closed()
        self.buf += d

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        i = self.buf.index(b"\r\n")
        line, self.buf = self.buf[:i], self.buf[i + 2:]
        self.raw += line + b"\r\n"
        return line

    def _bytes(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        v, self.buf = self.buf[:n], self.buf[n + 2:]
        self.raw += v + b"\r\n"
        return v

    def _read(self):
        line = self._line()
        t, r = line[:1], line[1:]
        if t == b"+":
            return ("simple", r)
        if t == b"-":
            return ("error", r)
        if t == b":":
            return int(r)
        if t == b"$":
            n = int(r)
            return None if n < 0 else self._bytes(n)
        if t in (b"*", b"~", b">"):
            n = int(r)
            return None if n < 0 else [self._read() for _ in range(n)]
        if t == b"%":
            return [(self._read(), self._read()) for _ in range(int(r))]
        if t == b"_":
            return None
        if t == b"#":
            return r == b"t"
        if t == b",":
            return ("double", r)
        if t == b"=":
            return ("verbatim", self._bytes(int(r)))
        raise ValueError("bad reply line %r" % line)

    def read(self):
        """One reply, parsed; its bytes are in self.raw."""
        self.raw = b""
        return self._read()

    def cmd(self, *args):
        self.send(*args)
        return self.read()

    def raw_cmd(self, *args):
        """The exact bytes of the reply to one command."""
        self.send(*args)
        self.read()
        return self.raw

    def closed_within(self, seconds=2.0):
        """True if the server closes the connection (with nothing more to
        read) within `seconds`."""
        self.s.settimeout(seconds)
        try:
            while True:
                d = self.s.recv(1 << 16)
                if not d:
                    return True
                self.buf += d
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return True


def wait_port(port, seconds=10.0):
    end = time.time() + seconds
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False
