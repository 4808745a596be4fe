#!/usr/bin/env python3
"""faultproxy: a TCP proxy on 127.0.0.1 that injects network faults, for
petrel's tests. Python 3 standard library only.

  faultproxy.py --listen-port P --target-port T [--target-host 127.0.0.1]
                [--cut-after N] [--stall-after N] [--cut-direction s2c|c2s]
                [--rst] [--latency MS] [--bandwidth BYTES_PER_SEC]
                [--control-port P]
  faultproxy.py --self-test

The first line on stdout is "listening PORT" (P = 0 picks a free port);
with --control-port a second line "control PORT" follows.

Faults, per connection:
  --cut-after N     after N bytes in the --cut-direction (default s2c, i.e.
                    server to client) are forwarded, close both sides (FIN,
                    or RST with --rst). N = 0 closes right after accepting.
  --stall-after N   after N bytes in that direction, stop forwarding both
                    ways but keep both sockets open (data keeps being read
                    and is held; `resume` on the control port sends it on).
  --latency MS      delay each chunk by MS milliseconds, each direction,
                    order preserved.
  --bandwidth BPS   at most BPS bytes per second, each direction.

Control port (127.0.0.1, one command per line, answer "ok ..." or
"error ..."); commands apply to current and future connections:
  cut | rst        close every connection (FIN | RST); new connections are
                   accepted and closed the same way until `resume`
  stall            stop forwarding on every connection (new ones too)
  resume           undo cut/rst/stall; stalled connections continue
  latency MS       set the added one-way delay (0 = none)
  bandwidth BPS    set the per-direction cap (0 = unlimited)
  cut-after N|off, stall-after N|off, direction s2c|c2s
                   change the per-connection triggers for new connections
  clear            no faults at all any more (resume + all of the above off)
  stats            "ok c2s=BYTES s2c=BYTES conns=ACCEPTED active=OPEN"
                   (bytes forwarded so far, all connections)
  quit             close this control connection
  shutdown         stop the proxy (as SIGTERM does)

Only targets on this machine are allowed: 127.0.0.1, localhost or ::1.
SIGTERM/SIGINT close everything and exit 0.
"""
import argparse
import collections
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

ALLOWED_TARGETS = {"127.0.0.1": ("127.0.0.1", socket.AF_INET),
                   "localhost": ("127.0.0.1", socket.AF_INET),
                   "::1": ("::1", socket.AF_INET6)}
CHUNK = 65536


class Settings:
    """Shared fault settings; every change wakes the writers."""

    def __init__(self, a):
        self.cond = threading.Condition()
        self.latency = (a.latency or 0) / 1000.0
        self.bandwidth = a.bandwidth or 0
        self.cut_after = a.cut_after
        self.stall_after = a.stall_after
        self.direction = a.cut_direction
        self.rst = a.rst
        self.mode = "normal"  # normal | stall | cut | rst
        self.bytes = {"c2s": 0, "s2c": 0}
        self.accepted = 0


class Pipe:
    """One direction of a connection: a reader thread queues chunks with
    their arrival time, a writer thread delivers them (latency, bandwidth,
    stall, cut)."""

    def __init__(self, conn, name, src, dst):
        self.conn, self.name, self.src, self.dst = conn, name, src, dst
        self.queue = collections.deque()
        self.forwarded = 0
        self.done = False

    def read_loop(self):
        s = self.conn.settings
        while True:
            try:
                data = self.src.recv(CHUNK)
            except OSError:
                data = None
            with s.cond:
                self.queue.append((time.monotonic(), data))
                s.cond.notify_all()
            if not data:
                return

    def write_loop(self):
        s = self.conn.settings
        next_send = 0.0  # bandwidth pacing
        while True:
            with s.cond:
                while True:
                    if self.conn.closed:
                        return
                    if self.queue and not self.conn.stalled():
                        t, data = self.queue[0]
                        due = t + s.latency
                        now = time.monotonic()
                        if now >= due:
                            self.queue.popleft()
                            break
                        s.cond.wait(due - now)
                    else:
                        s.cond.wait()
            if not data:
                # EOF (or error) from the source: pass the half-close on.
                try:
                    self.dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                self.conn.pipe_done(self, error=data is None)
                return
            while data:
                with s.cond:
                    while self.conn.stalled() and not self.conn.closed:
                        s.cond.wait()
                    if self.conn.closed:
                        return
                    limit = len(data)
                    trigger = None
                    if self.name == self.conn.direction:
                        if self.conn.cut_after is not None:
                            room = self.conn.cut_after - self.forwarded
                            if room <= limit:
                                limit, trigger = room, "cut"
                        if (self.conn.stall_after is not None and trigger is None
                                and not self.conn.stall_fired):
                            room = self.conn.stall_after - self.forwarded
                            if room <= limit:
                                limit, trigger = room, "stall"
                    bw = s.bandwidth
                if bw:
                    limit = min(limit, max(1, bw // 20))
                    now = time.monotonic()
                    if next_send > now:
                        time.sleep(next_send - now)
                    next_send = max(next_send, time.monotonic()) + limit / bw
                piece, data = data[:limit], data[limit:]
                if piece:
                    try:
                        self.dst.sendall(piece)
                    except OSError:
                        self.conn.close()
                        return
                    with s.cond:
                        self.forwarded += len(piece)
                        s.bytes[self.name] += len(piece)
                if trigger == "cut" and self.forwarded >= self.conn.cut_after:
                    self.conn.close(rst=s.rst)
                    return
                if trigger == "stall" and self.forwarded >= self.conn.stall_after:
                    with s.cond:
                        self.conn.stall_fired = True
                        self.conn.stall_self = True
                        s.cond.notify_all()


class Conn:
    def __init__(self, proxy, client, server):
        self.proxy, self.settings = proxy, proxy.settings
        self.client, self.server = client, server
        self.closed = False
        s = self.settings
        # Triggers are fixed when the connection starts.
        self.cut_after, self.stall_after = s.cut_after, s.stall_after
        self.direction = s.direction
        self.stall_fired = False
        self.stall_self = False  # stalled by --stall-after
        self.pipes = [Pipe(self, "c2s", client, server), Pipe(self, "s2c", server, client)]

    def stalled(self):
        return self.stall_self or self.settings.mode == "stall"

    def start(self):
        mode = self.settings.mode
        if mode in ("cut", "rst"):  # a `cut` came while we were connecting
            self.close(rst=mode == "rst")
            return
        if self.cut_after == 0:
            self.close(rst=self.settings.rst)
            return
        for p in self.pipes:
            for fn in (p.read_loop, p.write_loop):
                threading.Thread(target=fn, daemon=True).start()

    def pipe_done(self, pipe, error):
        with self.settings.cond:
            pipe.done = True
            finished = error or all(p.done for p in self.pipes)
        if finished:
            self.close()

    def close(self, rst=False):
        with self.settings.cond:
            if self.closed:
                return
            self.closed = True
            self.settings.cond.notify_all()
        for sock in (self.client, self.server):
            try:
                if rst:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    # Wakes a recv() blocked in our reader; sends nothing.
                    sock.shutdown(socket.SHUT_RD)
                else:
                    sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        self.proxy.forget(self)


class Proxy:
    def __init__(self, a):
        self.a = a
        self.settings = Settings(a)
        self.conns = set()
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.signalled = False   # set by the SIGTERM/SIGINT handler
        host, self.family = ALLOWED_TARGETS[a.target_host]
        self.target = (host, a.target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", a.listen_port))
        self.listener.listen(128)
        self.listener.settimeout(0.2)
        self.control = None
        if a.control_port is not None:
            self.control = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.control.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.control.bind(("127.0.0.1", a.control_port))
            self.control.listen(8)
            self.control.settimeout(0.2)

    def forget(self, conn):
        with self.lock:
            self.conns.discard(conn)

    def accept_loop(self):
        s = self.settings
        while not self.stop.is_set():
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                if self.stop.is_set():
                    return
                continue
            with s.cond:
                s.accepted += 1
                mode = s.mode
            if mode in ("cut", "rst"):
                Conn(self, client, socket.socket()).close(rst=mode == "rst")
                continue
            threading.Thread(target=self.connect, args=(client,), daemon=True).start()

    def connect(self, client):
        try:
            server = socket.create_connection(self.target, timeout=10)
            server.settimeout(None)
        except OSError:
            client.close()
            return
        conn = Conn(self, client, server)
        with self.lock:
            self.conns.add(conn)
        conn.start()

    def all_conns(self):
        with self.lock:
            return list(self.conns)

    def control_loop(self):
        while not self.stop.is_set():
            try:
                c, _ = self.control.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.control_client, args=(c,), daemon=True).start()

    def control_client(self, c):
        f = c.makefile("rwb", buffering=0)
        try:
            for raw in f:
                line = raw.decode(errors="replace").strip()
                if not line:
                    continue
                reply, end = self.command(line)
                f.write((reply + "\r\n").encode())
                if end:
                    break
        except OSError:
            pass
        finally:
            c.close()

    def command(self, line):
        s = self.settings
        words = line.split()
        cmd, args = words[0].lower(), words[1:]

        def num(allow_off=False):
            if len(args) != 1:
                raise ValueError("needs one argument")
            if allow_off and args[0].lower() == "off":
                return None
            v = int(args[0])
            if v < 0:
                raise ValueError("must be >= 0")
            return v
        try:
            if cmd in ("cut", "rst"):
                with s.cond:
                    s.mode = cmd
                for conn in self.all_conns():
                    conn.close(rst=cmd == "rst")
            elif cmd == "stall":
                with s.cond:
                    s.mode = "stall"
                    s.cond.notify_all()
            elif cmd == "resume":
                with s.cond:
                    s.mode = "normal"
                    for conn in self.all_conns():
                        conn.stall_self = False
                    s.cond.notify_all()
            elif cmd == "latency":
                v = num()
                with s.cond:
                    s.latency = v / 1000.0
                    s.cond.notify_all()
            elif cmd == "bandwidth":
                v = num()
                with s.cond:
                    s.bandwidth = v
                    s.cond.notify_all()
            elif cmd == "cut-after":
                v = num(allow_off=True)
                with s.cond:
                    s.cut_after = v
            elif cmd == "stall-after":
                v = num(allow_off=True)
                with s.cond:
                    s.stall_after = v
            elif cmd == "direction":
                if args not in (["s2c"], ["c2s"]):
                    raise ValueError("s2c or c2s")
                with s.cond:
                    s.direction = args[0]
            elif cmd == "clear":
                with s.cond:
                    s.mode, s.latency, s.bandwidth = "normal", 0.0, 0
                    s.cut_after = s.stall_after = None
                    for conn in self.all_conns():
                        conn.stall_self = False
                        conn.cut_after = conn.stall_after = None
                    s.cond.notify_all()
            elif cmd == "stats":
                with s.cond:
                    return (f"ok c2s={s.bytes['c2s']} s2c={s.bytes['s2c']} "
                            f"conns={s.accepted} active={len(self.all_conns())}"), False
            elif cmd == "quit":
                return "ok bye", True
            elif cmd == "shutdown":
                self.stop.set()
                return "ok shutting down", True
            else:
                return f"error unknown command {cmd}", False
        except ValueError as e:
            return f"error {cmd}: {e}", False
        return "ok", False

    def run(self):
        print(f"listening {self.listener.getsockname()[1]}", flush=True)
        if self.control:
            print(f"control {self.control.getsockname()[1]}", flush=True)
            threading.Thread(target=self.control_loop, daemon=True).start()
        t = threading.Thread(target=self.accept_loop, daemon=True)
        t.start()
        # the signal handler only sets a plain attribute: Event.set() from
        # a handler can deadlock when the signal lands while this thread
        # holds the Event's lock inside wait() (seen: a proxy that never
        # exited on SIGTERM)
        while not self.signalled and not self.stop.wait(0.2):
            pass
        self.listener.close()
        if self.control:
            self.control.close()
        for conn in self.all_conns():
            conn.close()
        t.join(1)
        return 0


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen-port", type=int)
    p.add_argument("--target-port", type=int)
    p.add_argument("--target-host", default="127.0.0.1")
    p.add_argument("--cut-after", type=int)
    p.add_argument("--cut-direction", choices=("s2c", "c2s"), default="s2c")
    p.add_argument("--rst", action="store_true")
    p.add_argument("--stall-after", type=int)
    p.add_argument("--latency", type=int, default=0, metavar="MS")
    p.add_argument("--bandwidth", type=int, default=0, metavar="BYTES_PER_SEC")
    p.add_argument("--control-port", type=int)
    p.add_argument("--self-test", action="store_true")
    a = p.parse_args(argv)
    if a.self_test:
        return a
    if a.listen_port is None or a.target_port is None:
        p.error("--listen-port and --target-port are required")
    if a.target_host not in ALLOWED_TARGETS:
        p.error(f"refusing target host {a.target_host!r}: only 127.0.0.1, localhost or ::1")
    for name in ("cut_after", "stall_after", "latency", "bandwidth"):
        v = getattr(a, name)
        if v is not None and v < 0:
            p.error(f"--{name.replace('_', '-')} must be >= 0")
    return a


# ---------------------------------------------------------------- self-test

class EchoServer:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received = []  # bytes received per finished connection
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.echo, args=(c,), daemon=True).start()

    def echo(self, c):
        n = 0
        try:
            while True:
                d = c.recv(CHUNK)
                if not d:
                    break
                n += len(d)
                c.sendall(d)
        except OSError:
            pass
        finally:
            c.close()
            self.received.append(n)


class Running:
    def __init__(self, *args):
        self.p = subprocess.Popen([sys.executable, __file__, *args],
                                  stdout=subprocess.PIPE, text=True)
        first = self.p.stdout.readline().split()
        assert first[0] == "listening", first
        self.port = int(first[1])
        self.control = None
        if "--control-port" in args:
            self.control = int(self.p.stdout.readline().split()[1])

    def ctl(self, line):
        with socket.create_connection(("127.0.0.1", self.control), timeout=5) as c:
            f = c.makefile("rwb", buffering=0)
            f.write((line + "\n").encode())
            return f.readline().decode().strip()

    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        rc = self.p.wait(5)
        assert rc == 0, f"exit status {rc} after SIGTERM"


def recv_all(s, n, timeout=3.0):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < n:
        d = s.recv(CHUNK)
        if not d:
            break
        buf += d
    return buf


def self_test():
    echo = EchoServer()
    t = str(echo.port)
    results = []

    def case(name, fn):
        try:
            fn()
            results.append(True)
            print(f"ok   {name}", flush=True)
        except Exception as e:  # report every case
            results.append(False)
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)

    def plain():
        p = Running("--listen-port", "0", "--target-port", t)
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"hello")
                assert recv_all(s, 5) == b"hello"
                s.shutdown(socket.SHUT_WR)
                assert recv_all(s, 1) == b"", "no EOF passed on"
        finally:
            p.stop()

    def cut():
        p = Running("--listen-port", "0", "--target-port", t, "--cut-after", "10")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"x" * 100)
                got = recv_all(s, 100)
                assert got == b"x" * 10, f"got {len(got)} bytes"
        finally:
            p.stop()

    def cut_c2s():
        p = Running("--listen-port", "0", "--target-port", t, "--cut-after", "4",
                    "--cut-direction", "c2s")
        try:
            before = len(echo.received)
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"abcdefgh")
                try:
                    got = recv_all(s, 8)
                except ConnectionResetError:
                    got = b""
                assert len(got) <= 4, got
            deadline = time.monotonic() + 3
            while len(echo.received) == before and time.monotonic() < deadline:
                time.sleep(0.05)
            assert echo.received[before:] == [4], echo.received[before:]
        finally:
            p.stop()

    def rst():
        p = Running("--listen-port", "0", "--target-port", t, "--cut-after", "10", "--rst")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"x" * 100)
                try:
                    got = recv_all(s, 100)
                    raise AssertionError(f"clean EOF after {len(got)} bytes, wanted RST")
                except ConnectionResetError:
                    pass
        finally:
            p.stop()

    def stall():
        p = Running("--listen-port", "0", "--target-port", t, "--stall-after", "5",
                    "--control-port", "0")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"0123456789")
                assert recv_all(s, 5) == b"01234"
                s.settimeout(0.5)
                try:
                    d = s.recv(100)
                    raise AssertionError(f"data while stalled: {d!r}")
                except socket.timeout:
                    pass
                assert p.ctl("resume") == "ok"
                assert recv_all(s, 5) == b"56789"
                st = p.ctl("stats")
                assert "c2s=10 s2c=10" in st, st
        finally:
            p.stop()

    def latency():
        p = Running("--listen-port", "0", "--target-port", t, "--latency", "200")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                t0 = time.monotonic()
                for i in range(5):
                    s.sendall(b"%d" % i)
                    time.sleep(0.01)
                got = recv_all(s, 5)
                dt = time.monotonic() - t0
                assert got == b"01234", got
                assert dt >= 0.4, f"round trip {dt:.3f}s < 0.4s"
                assert dt < 1.5, f"round trip {dt:.3f}s too slow"
        finally:
            p.stop()

    def bandwidth():
        p = Running("--listen-port", "0", "--target-port", t, "--bandwidth", "20000")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                t0 = time.monotonic()
                s.sendall(b"y" * 10000)
                got = recv_all(s, 10000, timeout=5)
                dt = time.monotonic() - t0
                assert len(got) == 10000
                assert 0.4 <= dt < 3, f"10000 bytes at 20000 B/s took {dt:.3f}s"
        finally:
            p.stop()

    def control():
        p = Running("--listen-port", "0", "--target-port", t, "--control-port", "0")
        try:
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"ping")
                assert recv_all(s, 4) == b"ping"
                assert p.ctl("latency 300") == "ok"
                t0 = time.monotonic()
                s.sendall(b"pong")
                assert recv_all(s, 4) == b"pong"
                assert time.monotonic() - t0 >= 0.55
                assert p.ctl("latency 0") == "ok"
                assert p.ctl("stall") == "ok"
                s.sendall(b"held")
                s.settimeout(0.4)
                try:
                    s.recv(10)
                    raise AssertionError("data while stalled")
                except socket.timeout:
                    pass
                assert p.ctl("resume") == "ok"
                assert recv_all(s, 4) == b"held"
                assert p.ctl("cut") == "ok"
                assert recv_all(s, 1) == b"", "not cut"
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                assert recv_all(s, 1) == b"", "new connection not cut"
            assert p.ctl("resume") == "ok"
            with socket.create_connection(("127.0.0.1", p.port)) as s:
                s.sendall(b"again")
                assert recv_all(s, 5) == b"again"
            assert p.ctl("bogus").startswith("error")
            assert p.ctl("stats").startswith("ok c2s=")
        finally:
            p.stop()

    def many():
        p = Running("--listen-port", "0", "--target-port", t)
        try:
            socks = [socket.create_connection(("127.0.0.1", p.port)) for _ in range(50)]
            for i, s in enumerate(socks):
                s.sendall(b"%03d" % i)
            for i, s in enumerate(socks):
                assert recv_all(s, 3) == b"%03d" % i
                s.close()
        finally:
            p.stop()

    def refuses():
        r = subprocess.run([sys.executable, __file__, "--listen-port", "0",
                            "--target-port", t, "--target-host", "192.0.2.1"],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode != 0 and "refusing" in r.stderr, (r.returncode, r.stderr)

    for name, fn in [("forward + half-close", plain), ("cut-after s2c", cut),
                     ("cut-after c2s", cut_c2s), ("rst", rst), ("stall-after + resume", stall),
                     ("latency", latency), ("bandwidth", bandwidth),
                     ("control port", control), ("50 connections", many),
                     ("refuses non-local target", refuses)]:
        case(name, fn)
    failed = results.count(False)
    print(f"{results.count(True)} passed, {failed} failed")
    return 1 if failed else 0


def main(argv):
    a = parse(argv)
    if a.self_test:
        return self_test()
    proxy = Proxy(a)

    def on_signal(signum, frame):
        proxy.signalled = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return proxy.run()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
