#!/usr/bin/env python3
"""Small helpers for start.sh/stop.sh, kept in Python because bash has no
sockets or hashing of its own.

  helper.py freeports N           print N distinct free TCP ports on 127.0.0.1
  helper.py waitports SECS P...   wait until every port accepts a connection
  helper.py fingerprint CERT.pem  SHA-256 of the certificate's DER, aa:bb:..
  helper.py procs DIR [NAME]      pids of the processes start.sh started for
                                  DIR (only those of server NAME if given)
  helper.py leaders DIR [NAME]    the session leaders (daemon masters) among them
"""
import os
import base64
import hashlib
import re
import socket
import sys
import time


def freeports(n):
    # Hold every socket open until all are picked so the ports are distinct.
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        print(" ".join(str(s.getsockname()[1]) for s in socks))
    finally:
        for s in socks:
            s.close()
    return 0


def waitports(timeout, ports):
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        still = []
        for p in pending:
            try:
                with socket.create_connection(("127.0.0.1", p), timeout=1):
                    pass
            except OSError:
                still.append(p)
        pending = still
        if not pending:
            break
        if time.monotonic() > deadline:
            print("not listening: " + " ".join(map(str, pending)),
                  file=sys.stderr)
            return 1
        time.sleep(0.05)
    return 0


def fingerprint(path):
    text = open(path, encoding="ascii").read()
    m = re.search(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----",
                  text, re.S)
    if not m:
        print(f"no certificate in {path}", file=sys.stderr)
        return 1
    der = base64.b64decode("".join(m.group(1).split()))
    print(":".join(f"{b:02x}" for b in hashlib.sha256(der).digest()))
    return 0


def _stat(pid):
    """(session id, start time) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 2 (the command) may hold spaces and parens: split after it.
    rest = stat[stat.rindex(b")") + 2:].split()
    if rest[0] in (b"Z", b"X"):
        return None  # exited; only waits to be reaped
    return int(rest[3]), rest[19].decode()


def _is_dovecot_master(pid, confdir):
    """A Dovecot master started with a config under confdir (the master
    drops its environment, so it carries no marker)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return (len(argv) >= 3 and os.path.basename(argv[0]) == b"dovecot"
            and argv[1] == b"-c" and argv[2].startswith(confdir))


def _has(pid, markers):
    for name in ("cmdline", "environ"):
        try:
            with open(f"/proc/{pid}/{name}", "rb") as f:
                data = f.read()
        except OSError:
            continue
        if any(m in data for m in markers):
            return True
    return False


def _environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return set(f.read().split(b"\0"))
    except OSError:
        return set()


def procs(d, only=None, leaders_only=False):
    """Every process of this instance (or of its server ONLY):
    - members of the sessions whose leaders start.sh recorded in
      DIR/run/NAME.pid (if still the same processes);
    - processes carrying the instance's marker from DIR/instance (Dovecot's
      process titles; PETREL_TEST_INSTANCE in the environment of Postfix,
      Courier and gamin's gam_server);
    - found even if DIR's files are gone: Dovecot masters run with a config
      under DIR/dovecot/, processes whose environment has
      MAIL_CONFIG=DIR/postfix (Postfix) or SENDMAIL=DIR/courier/sendmail.sh
      (Courier), and the members of sessions led by any of these."""
    d = os.path.realpath(d)
    run = os.path.join(d, "run")
    try:
        inst = open(os.path.join(d, "instance")).read().strip()
    except OSError:
        inst = ""
    markers = []
    if inst:
        markers.append((inst + "-" + only if only else inst).encode())
    confdir = os.path.join(d, "dovecot", "").encode()
    env_marks = set()
    if only in (None, "postfix"):
        env_marks.add(b"MAIL_CONFIG=" + os.path.join(d, "postfix").encode())
    if only in (None, "courier"):
        env_marks.add(b"SENDMAIL=" + os.path.join(d, "courier", "sendmail.sh").encode())
    leaders = {}  # sid -> leader still alive with the recorded start time?
    try:
        names = sorted(os.listdir(run))
    except OSError:
        names = []
    for n in names:
        if not n.endswith(".pid") or (only and not n.startswith(only)):
            continue
        try:
            pid, start = open(os.path.join(run, n)).read().split()[:2]
        except (OSError, ValueError):
            continue
        st = _stat(int(pid))
        leaders[int(pid)] = st is not None and st[1] == start
    # Never ourselves or whoever runs us (stop.sh, start.sh's trap, ...).
    skip = set()
    p = os.getpid()
    while p > 1 and p not in skip:
        skip.add(p)
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                stat = f.read()
            p = int(stat[stat.rindex(b")") + 2:].split()[1])
        except (OSError, ValueError):
            break
    found = set()
    sids = {}  # pid -> session id, of every live process
    for e in os.listdir("/proc"):
        if not e.isdigit() or int(e) in skip:
            continue
        pid = int(e)
        st = _stat(pid)
        if st is None:
            continue
        sid = sids[pid] = st[0]
        if sid in leaders:
            if pid == sid and not leaders[sid]:
                continue  # the leader's pid was reused: not ours
            # A dead leader's session id cannot be reused while members
            # live, but double-check with the markers then.
            if leaders[sid] or (markers and _has(pid, markers)):
                found.add(pid)
                continue
        if markers and _has(pid, markers):
            found.add(pid)
        elif not only and _is_dovecot_master(pid, confdir):
            found.add(pid)
        elif env_marks & _environ(pid):
            found.add(pid)
    # Whole sessions of the session leaders found.
    led = {p for p in found if sids.get(p) == p}
    found |= {p for p, sid in sids.items() if sid in led}
    if leaders_only:
        found = {p for p in found if sids.get(p) == p}
    print(" ".join(map(str, sorted(found))))
    return 0


def main(argv):
    if len(argv) in (3, 4) and argv[1] in ("procs", "leaders"):
        return procs(argv[2], argv[3] if len(argv) == 4 else None,
                     leaders_only=argv[1] == "leaders")
    if len(argv) >= 2 and argv[1] == "freeports":
        return freeports(int(argv[2]))
    if len(argv) >= 3 and argv[1] == "waitports":
        return waitports(float(argv[2]), [int(p) for p in argv[3:]])
    if len(argv) == 3 and argv[1] == "fingerprint":
        return fingerprint(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
