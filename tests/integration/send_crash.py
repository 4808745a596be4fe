#!/usr/bin/env python3
"""Crash safety of the send queue against the real Postfix -> Dovecot.

30 times, four messages are queued (petrel send --queue-only) and petrel
queue flush is killed with SIGKILL at the Nth step of the flush (N = 1..30;
the steps are the moments between the flusher's durable actions: before and
after the "sending" mark, after connecting, after the server's answer to
the data, after the "delivered" mark, after the local Sent copy, after the
journal's append entry, after the entry left the queue).  The kill comes
from petrel itself through the test-only variable PETREL_TEST_SEND_KILL_AT
(src/engine/send.c), so every point is hit exactly.  Then a normal flush and
a sync run, and after them: no message is lost (each reached bob at least
once), the queue is empty, alice's Sent has exactly one copy of each, and
duplicates are counted: they may only come from a kill between the
server's final 250 and the fsynced "delivered" mark (the step "delivery
answered"), the one window the design leaves.

usage: send_crash.py PETREL"""
import os
import re
import signal
import subprocess
import sys
import tempfile

KILLS = 30
BATCH = 4


class Test:
    def __init__(self, petrel):
        self.petrel = petrel
        self.tmp = tempfile.mkdtemp(prefix="petrel-sendcrash-")
        self.count = self.failed = 0
        self.conf = os.path.join(self.tmp, "a.conf")
        self.log = os.path.join(self.tmp, "log")
        e = os.environ
        with open(self.conf, "w") as f:
            f.write("data-dir = %s/data\n[account a]\nemail = alice@example.org\n"
                    "imap = imaps://%s:%s\nsmtp = smtp://%s:%s\nuser = alice\n"
                    "password-command = echo %s\ntls-ca-file = %s\ntimeout = 10s\n"
                    % (self.tmp, e["PETREL_TEST_HOST"], e["PETREL_TEST_IMAPS_PORT"],
                       e["PETREL_TEST_HOST"], e["PETREL_TEST_SUBMISSION_PORT"],
                       e["PETREL_TEST_ALICE_PASS"], e["PETREL_TEST_CA"]))
        os.chmod(self.conf, 0o600)

    def check(self, ok, what):
        self.count += 1
        print(("ok %d - %s" if ok else "not ok %d - %s") % (self.count, what))
        if not ok:
            self.failed += 1

    def petrel_run(self, *args, kill_at=None):
        env = dict(os.environ)
        env.pop("PETREL_TEST_SEND_KILL_AT", None)
        env.pop("PETREL_DEBUG", None)
        if kill_at is not None:
            env["PETREL_TEST_SEND_KILL_AT"] = str(kill_at)
            env["PETREL_DEBUG"] = self.log   # petrel's debug log names each step
        return subprocess.run([self.petrel, "-c", self.conf] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)

    def count_in(self, user, folder, mid):
        r = subprocess.run(["doveadm", "-c", os.environ["PETREL_TEST_DOVECOT_CONF"], "search",
                            "-u", user, "mailbox", folder, "header", "Message-ID", mid],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return len(r.stdout.splitlines())

    def last_step(self):
        steps = []
        try:
            with open(self.log, errors="replace") as f:
                steps = re.findall(r"send: step (\d+): (.*)", f.read())
        except OSError:
            pass
        return steps[-1][1].strip() if steps else "none"

    def run(self):
        tag = "crash%d" % os.getpid()
        dups = []
        windows = []
        lost = 0
        for n in range(1, KILLS + 1):
            mids = []
            for k in range(BATCH):
                mid = "%s.%d.%d@example.org" % (tag, n, k)
                mids.append(mid)
                msg = ("From: alice@example.org\r\nTo: bob@example.org\r\nSubject: crash %d/%d\r\n"
                       "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n"
                       "Content-Type: text/plain; charset=utf-8\r\n\r\nkill point %d\r\n"
                       % (n, k, mid, n))
                path = os.path.join(self.tmp, "m.eml")
                with open(path, "w") as f:
                    f.write(msg)
                r = self.petrel_run("send", "--queue-only", path)
                if r.returncode != 0:
                    self.check(False, "queue-only send: %s" % r.stderr.decode(errors="replace"))
            if os.path.exists(self.log):
                os.unlink(self.log)
            r = self.petrel_run("queue", "flush", kill_at=n)
            killed = r.returncode == -signal.SIGKILL
            where = self.last_step() if killed else "not killed (fewer steps)"
            self.petrel_run("queue", "flush", kill_at=0)
            with open(self.log, errors="replace") as f:
                windows += [int(w) for w in re.findall(r"'delivered' durable (\d+) us", f.read())]
            self.petrel_run("sync", "a", "--folder", "Sent")
            q = self.petrel_run("queue").stdout.decode(errors="replace").strip()
            got = [self.count_in("bob", "INBOX", m) for m in mids]
            sent = [self.count_in("alice", "Sent", m) for m in mids]
            lost += sum(1 for g in got if g == 0)
            for m, g in zip(mids, got):
                if g > 1:
                    dups.append((n, where, g - 1))
            self.check(all(g >= 1 for g in got) and not q,
                       "kill at step %d (%s): nothing lost, queue empty" % (n, where))
            self.check(all(s == 1 for s in sent),
                       "kill at step %d: exactly one Sent copy of each (%s)" % (n, sent))
        outside = [d for d in dups if d[1] != "delivery answered"]
        self.check(not outside, "duplicates only from a kill inside the window "
                   "(after the final 250, before the fsynced 'delivered' mark): %s" % outside)
        print("# %d kill points x %d messages: %d lost, %d duplicate(s) %s"
              % (KILLS, BATCH, lost, sum(d[2] for d in dups),
                 ["step %d (%s)" % (d[0], d[1]) for d in dups]))
        if windows:
            windows.sort()
            print("# the duplicate window (server's final 250 -> fsynced 'delivered' mark), "
                  "%d sends: median %d us, max %d us"
                  % (len(windows), windows[len(windows) // 2], windows[-1]))
        print("# %d checks, %d failed" % (self.count, self.failed))
        return self.failed == 0


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    if not os.environ.get("PETREL_TEST_DIR"):
        print("SKIP: the test servers are not running (use ./test.sh)")
        return 77
    return 0 if Test(sys.argv[1]).run() else 1


if __name__ == "__main__":
    sys.exit(main())
