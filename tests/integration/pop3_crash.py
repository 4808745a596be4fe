#!/usr/bin/env python3
"""Crash safety of a POP3 drain (pop3-mode = delete) against the real Dovecot.

30 times, petrel sync is killed with SIGKILL at a different point of a
drain (spread over its run time, plus the moments it sends DELE, QUIT, ...;
the last 10 with pop3-headers-first, where bodies replace header-only
copies), and 20 times the fault proxy cuts the connection after a different
number of bytes (FIN and RST in turn).  After each: every message is on the
server or in the store, and every stored file is a complete message or a
complete header block.  Then a normal sync runs, and after it: the server
has none of them, the store has each exactly once, byte-identical to what
Dovecot had (line ends aside: POP3 delivers CRLF, Dovecot keeps LF), and
the index agrees with the files.

Uses Dovecot user carol, whose mailbox only the POP3 tests touch.
usage: pop3_crash.py PETREL"""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

KILLS = 30
CUTS = 20
BATCH = 30          # messages waiting on the server at each point
USER = "carol"


def msgid(data):
    m = re.search(rb"^Message-ID:\s*<([^>]*)>", data, re.M | re.I)
    return m.group(1).decode() if m else None


def norm(data):
    return data.replace(b"\r\n", b"\n")


def header_block(data):
    i = data.find(b"\n\n")
    return data[:i + 2] if i >= 0 else data


class Test:
    def __init__(self, petrel):
        self.petrel = petrel
        self.src = os.environ.get("PETREL_SRC", ".")
        self.tmp = tempfile.mkdtemp(prefix="petrel-pop3crash-")
        self.count = self.failed = 0
        self.maildir = os.path.join(os.environ["PETREL_TEST_MAIL_ROOT"], USER, "Maildir")
        self.ref = {}      # message id -> bytes (LF) as Dovecot had them
        self.conf_n = 0

    def check(self, ok, what, detail=""):
        self.count += 1
        print(("ok %d - %s" if ok else "not ok %d - %s") % (self.count, what))
        if not ok:
            self.failed += 1
            for line in str(detail).splitlines()[:12]:
                print("    # " + line)
        return ok

    def doveadm(self, *args):
        return subprocess.run(["doveadm", "-c", os.environ["PETREL_TEST_DOVECOT_CONF"]] + list(args),
                              capture_output=True, text=True)

    def server(self):
        out = {}
        for f in glob.glob(os.path.join(self.maildir, "cur", "*")) + \
                glob.glob(os.path.join(self.maildir, "new", "*")):
            try:
                data = open(f, "rb").read()
            except FileNotFoundError:
                continue
            out[msgid(data)] = data
        return out

    def load(self, n):
        before = set(self.server())
        subprocess.run([os.path.join(self.src, "tests/servers/load-mail.sh"),
                        os.environ["PETREL_TEST_DIR"], USER, "INBOX", str(n)],
                       check=True, capture_output=True)
        now = self.server()
        for k in set(now) - before:
            self.ref[k] = norm(now[k])
        return set(now) - before

    def conf(self, name, port, extra=(), tag=""):
        path = os.path.join(self.tmp, name + tag + ".conf")
        with open(path, "w") as f:
            f.write("data-dir = %s/%s\n[account %s]\nemail = %s@example.org\n"
                    "pop3 = pop3s://%s:%d\nuser = %s\npassword-command = echo %s\n"
                    "tls-ca-file = %s\npop3-mode = delete\ntimeout = 10s\n%s"
                    % (self.tmp, name, name, USER, os.environ["PETREL_TEST_HOST"], port, USER,
                       os.environ["PETREL_TEST_CAROL_PASS"], os.environ["PETREL_TEST_CA"],
                       "".join(x + "\n" for x in extra)))
        os.chmod(path, 0o600)
        return path

    def store(self, name):
        files = glob.glob(os.path.join(self.tmp, name, "mail", name, "*", "cur", "*")) + \
            glob.glob(os.path.join(self.tmp, name, "mail", name, "*", "new", "*"))
        out = []
        for f in files:
            data = open(f, "rb").read()
            out.append((f, msgid(data), norm(data)))
        return out

    def sync(self, conf, env=None):
        return subprocess.run([self.petrel, "-c", conf, "sync"], capture_output=True, text=True,
                              env=env, timeout=120)

    def after_crash(self, name, what):
        """Every message on the server or in the store; every file whole."""
        srv = set(self.server())
        st = self.store(name)
        ids = {i for _, i, _ in st}
        lost = set(self.ref) - srv - ids
        bad = [f for f, i, d in st if i not in self.ref or
               (d != self.ref[i] and d != header_block(self.ref[i]))]
        return self.check(not lost and not bad, what + ": nothing lost, every stored file complete",
                          "lost: %s\nbad files: %s" % (sorted(lost)[:5], bad[:5]))

    def after_sync(self, name, conf, what):
        r = self.sync(conf)
        srv = set(self.server())
        st = self.store(name)
        ids = [i for _, i, _ in st]
        both = srv & set(ids)
        dups = {i for i in ids if ids.count(i) > 1}
        missing = set(self.ref) - set(ids)
        differ = [f for f, i, d in st if self.ref.get(i) != d]
        listed = subprocess.run([self.petrel, "-c", conf, "list", "--account", name, "--limit", "0",
                                 "--json"], capture_output=True, text=True)
        try:
            nlisted = len(json.loads(listed.stdout))
        except ValueError:
            nlisted = -1
        return self.check(r.returncode == 0 and not srv and not both and not dups and not missing
                          and not differ and nlisted == len(ids),
                          what + ": next sync drains the rest; each message stored once, "
                          "byte-identical, indexed",
                          "rc %d %s\non server: %d, in both: %d, duplicated: %s, missing: %d, "
                          "differ: %s, listed %d of %d files"
                          % (r.returncode, r.stderr, len(srv), len(both), sorted(dups)[:3],
                             len(missing), differ[:3], nlisted, len(ids)))

    def kill_run(self, conf, delay, marker, log):
        """Runs sync, kills it after delay seconds or when marker is logged.
        True if it was killed while running."""
        if os.path.exists(log):
            os.unlink(log)
        env = dict(os.environ, PETREL_DEBUG=log)
        p = subprocess.Popen([self.petrel, "-c", conf, "sync"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, env=env)
        start = time.monotonic()
        while p.poll() is None:
            if marker:
                try:
                    hit = marker in open(log, errors="replace").read()
                except FileNotFoundError:
                    hit = False
                if hit:
                    break
            elif time.monotonic() - start >= delay:
                break
            if time.monotonic() - start > 60:
                break
            time.sleep(0.001)
        running = p.poll() is None
        if running:
            p.send_signal(signal.SIGKILL)
        p.wait()
        return running

    def proxy(self, cut, rst):
        args = [sys.executable, os.path.join(self.src, "tests/faultproxy.py"), "--listen-port", "0",
                "--target-port", os.environ["PETREL_TEST_POP3S_PORT"], "--control-port", "0"]
        if cut is not None:
            args += ["--cut-after", str(cut)] + (["--rst"] if rst else [])
        p = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        port = int(p.stdout.readline().split()[1])
        ctl = int(p.stdout.readline().split()[1])
        return p, port, ctl

    def proxy_stats(self, ctl):
        import socket
        with socket.create_connection(("127.0.0.1", ctl)) as s:
            s.sendall(b"stats\n")
            line = s.makefile().readline()
        return int(re.search(r"s2c=(\d+)", line).group(1))

    def run(self):
        port = int(os.environ["PETREL_TEST_POP3S_PORT"])
        self.doveadm("expunge", "-u", USER, "mailbox", "INBOX", "all")
        log = os.path.join(self.tmp, "debug.log")

        # how long a drain of BATCH messages takes, in each mode
        plain = self.conf("k", port)
        hf = self.conf("k", port, ["pop3-headers-first = yes"], "-hf")
        times = {}
        for c in (plain, hf):
            self.load(BATCH)
            t = time.monotonic()
            r = self.sync(c)
            times[c] = time.monotonic() - t
            self.check(r.returncode == 0, "a whole drain of %d messages (%.2f s)" % (BATCH, times[c]),
                       r.stderr)
        markers = ["> LIST", "> RETR", "> DELE", "> QUIT", "> TOP"]
        killed = 0
        states = set()
        for i in range(KILLS):
            c = plain if i < 20 else hf
            self.load(BATCH)
            marker = markers[i // 6] if i % 6 == 5 else None
            # spread over the run, from the start to just past the end
            delay = times[c] * 1.1 * ((i % 10) + 0.5) / 10 if not marker else 0
            was = self.kill_run(c, delay, marker, log)
            killed += was
            states.add((len(self.server()), len(self.store("k"))))
            what = "kill %d (%s)" % (i + 1, "at '%s'" % marker if marker else "after %.3f s" % delay)
            self.after_crash("k", what)
            self.after_sync("k", c, what)
        self.check(killed >= KILLS * 2 // 3, "%d of %d kills hit a running sync, in %d different "
                   "states (on server, in store)" % (killed, KILLS, len(states)))

        # connection cuts by the fault proxy, after a different byte count each
        self.doveadm("expunge", "-u", USER, "mailbox", "INBOX", "all")
        self.ref = {}   # another account: its own messages
        p, pport, ctl = self.proxy(None, False)
        cp = self.conf("c", pport)
        self.load(BATCH)
        r = self.sync(cp)
        total = self.proxy_stats(ctl)
        p.terminate()
        p.wait()
        self.check(r.returncode == 0 and total > 0,
                   "a whole drain through the proxy: %d bytes from the server" % total, r.stderr)
        failed_runs = 0
        for j in range(CUTS):
            cut = total * (j + 1) // (CUTS + 1)
            rst = j % 2 == 1
            self.load(BATCH)
            p, pport, ctl = self.proxy(cut, rst)
            cp = self.conf("c", pport)
            r = self.sync(cp)
            p.terminate()
            p.wait()
            failed_runs += r.returncode != 0
            what = "cut after %d bytes (%s)" % (cut, "RST" if rst else "FIN")
            if r.returncode != 0 and "broke" not in r.stderr and "TLS" not in r.stderr and \
                    "connect" not in r.stderr:
                self.check(False, what + ": says why", r.stderr)
            self.after_crash("c", what)
            self.after_sync("c", self.conf("c", port, tag="-direct"), what)
        self.check(failed_runs == CUTS, "every cut made the sync fail (%d of %d)" % (failed_runs, CUTS))
        print("# %d checks, %d failed" % (self.count, self.failed))
        return 1 if self.failed else 0


def main():
    if not os.environ.get("PETREL_TEST_DIR"):
        print("SKIP: the test servers are not running (use ./test.sh)")
        return 77
    if not os.environ.get("PETREL_TEST_CAROL_PASS"):
        print("SKIP: the test servers have no user carol (restart them)")
        return 77
    t = Test(sys.argv[1])
    try:
        return t.run()
    finally:
        subprocess.run(["rm", "-rf", t.tmp])


if __name__ == "__main__":
    sys.exit(main())
