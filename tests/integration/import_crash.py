#!/usr/bin/env python3
"""Crash safety of petrel import: SIGKILL it at many points, and show that
the store stays consistent: every stored file is complete (byte-identical to
a source message), and after the next run the index agrees with the files,
with every message present exactly once.
usage: import_crash.py PETREL"""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

KILLS = 30
N = 1500

def main():
    petrel = sys.argv[1]
    src = os.environ.get("PETREL_SRC", ".")
    tmp = tempfile.mkdtemp(prefix="petrel-crash-")
    failed = 0
    count = 0

    def check(ok, what):
        nonlocal failed, count
        count += 1
        print(("ok %d - %s" if ok else "not ok %d - %s") % (count, what))
        if not ok:
            failed += 1

    try:
        mbox = os.path.join(tmp, "in.mbox")
        subprocess.run([sys.executable, os.path.join(src, "tests/gen_mbox.py"), str(N), mbox],
                       check=True)
        # the messages as petrel must store them
        want = set()
        data = open(mbox, "rb").read()
        msgs = []
        cur = None
        for line in data.split(b"\n"):
            if line.startswith(b"From ") and (cur is None or (cur and cur[-1] == b"")):
                if cur is not None:
                    msgs.append(cur[:-1])
                cur = []
                continue
            if line.startswith(b">From "):
                line = line[1:]
            cur.append(line)
        if cur is not None:
            if cur and cur[-1] == b"":
                cur = cur[:-1]
            msgs.append(cur)
        for m in msgs:
            want.add(hashlib.sha256(b"\n".join(m) + b"\n").hexdigest())
        check(len(want) == N, "generated %d distinct messages" % len(want))

        conf = os.path.join(tmp, "config")
        with open(conf, "w") as f:
            f.write("data-dir = %s/data\n[account local]\n" % tmp)
        os.chmod(conf, 0o600)
        maildir = os.path.join(tmp, "data/mail/local/INBOX")
        rnd = random.Random(7)
        env = dict(os.environ)
        for i in range(KILLS):
            p = subprocess.Popen([petrel, "-c", conf, "import", "local", "INBOX", mbox],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            time.sleep(rnd.uniform(0.0, 0.6))
            p.send_signal(signal.SIGKILL)
            p.wait()
            bad = 0
            for sub in ("cur", "new"):
                d = os.path.join(maildir, sub)
                if not os.path.isdir(d):
                    continue
                for name in os.listdir(d):
                    h = hashlib.sha256(open(os.path.join(d, name), "rb").read()).hexdigest()
                    if h not in want:
                        bad += 1
            if bad:
                check(False, "kill %d: %d incomplete or foreign files in the Maildir" % (i, bad))
        check(True, "%d kills: every file in cur/ was complete each time" % KILLS)

        r = subprocess.run([petrel, "-c", conf, "import", "local", "INBOX", mbox],
                           capture_output=True, text=True)
        check(r.returncode == 0, "the final import finishes (%s)" % r.stdout.strip())
        files = [n for s in ("cur", "new") for n in os.listdir(os.path.join(maildir, s))]
        hashes = [hashlib.sha256(open(os.path.join(maildir, "cur", n), "rb").read()).hexdigest()
                  for n in os.listdir(os.path.join(maildir, "cur"))]
        check(len(files) == N, "%d files in the Maildir, want %d" % (len(files), N))
        check(len(set(hashes)) == len(hashes), "no message stored twice")
        check(set(hashes) == want, "every message stored, byte-identical")
        r = subprocess.run([petrel, "-c", conf, "list", "--limit", "0", "--json"],
                           capture_output=True, text=True)
        listed = json.loads(r.stdout)
        check(len(listed) == N, "the index lists %d messages, want %d" % (len(listed), N))
        check(len({m["id"] for m in listed}) == N, "the index has each message once")
        r = subprocess.run([petrel, "-c", conf, "folders"], capture_output=True, text=True)
        check(r.stdout.startswith("local\tINBOX\t%d\t" % N), "folders agrees: %s" % r.stdout.strip())
        leftovers = os.listdir(os.path.join(maildir, "tmp"))
        check(not leftovers, "no stale files left in tmp/")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("# %d checks, %d failed" % (count, failed))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
