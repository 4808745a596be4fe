#!/usr/bin/env bash
# Soak: petrel watch stays connected (IMAP IDLE, through the fault proxy)
# while a message is delivered every second over LMTP, another client flips
# flags, and the proxy resets every connection every few seconds.  Every
# message must be printed exactly once, memory must stay flat (RSS sampled
# from /proc), no file descriptor may leak, and a sync afterwards leaves the
# store equal to the server.
#
# Short mode (the suite): 60 s, a cut every 20 s.  Long mode, run by hand
# (meson's timeout is too short for it):
#   PETREL_SOAK_SECONDS=1800 PETREL_SOAK_CUT_EVERY=180 PETREL_SRC=$PWD \
#       tests/servers/with-servers.sh tests/integration/soak.sh build/petrel
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
secs=${PETREL_SOAK_SECONDS:-60}
cut_every=${PETREL_SOAK_CUT_EVERY:-20}
T=$(mktemp -d)
proxy= watcher= flipper=
cleanup() {
	for p in $watcher $proxy $flipper; do kill "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT
F=Soak$$
doveadm -c "$PETREL_TEST_DOVECOT_CONF" mailbox create -u alice "$F"

python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_IMAPS_PORT" \
	--control-port 0 >"$T/proxy.out" 2>&1 &
proxy=$!
for _ in $(seq 50); do [ "$(wc -l <"$T/proxy.out")" -ge 2 ] && break; sleep 0.1; done
pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
cport=$(awk '/^control/{print $2}' "$T/proxy.out")
control() { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall((sys.argv[2] + "\n").encode()); print(s.recv(200).decode().strip())' "$cport" "$1"; }

conf() {  # conf FILE PORT
	cat >"$1" <<CONF
data-dir = $T/data
[account s]
email = alice@example.org
imap = imaps://localhost:$2
user = alice
password-command = echo $PETREL_TEST_ALICE_PASS
tls-ca-file = $PETREL_TEST_CA
idle-folders = $F
timeout = 10s
CONF
	chmod 600 "$1"
}
conf "$T/config" "$pport"
conf "$T/direct" "$PETREL_TEST_IMAPS_PORT"

# (under ASan, a small quarantine: else freed memory is held up to 256 MiB
# and the RSS check would measure ASan, not petrel)
ASAN_OPTIONS="${ASAN_OPTIONS:-}:quarantine_size_mb=4" "$petrel" -c "$T/config" watch >"$T/out" 2>"$T/err" &
watcher=$!
for _ in $(seq 100); do [ -d "$T/data/mail/s/$F/cur" ] && break; sleep 0.1; done
sleep 1

# Another client flips \Flagged and \Seen on the folder's messages.
python3 - "$F" >"$T/flipper.log" 2>&1 <<'PY' &
import imaplib, os, random, ssl, sys, time
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
random.seed(1)
while True:
    try:
        c = imaplib.IMAP4_SSL("localhost", int(os.environ["PETREL_TEST_IMAPS_PORT"]), ssl_context=ctx)
        c.login("alice", os.environ["PETREL_TEST_ALICE_PASS"])
        c.select(sys.argv[1])
        while True:
            typ, data = c.uid("SEARCH", "ALL")
            uids = data[0].split()
            if uids:
                u = random.choice(uids)
                c.uid("STORE", u, random.choice(["+FLAGS", "-FLAGS"]),
                      random.choice(["(\\Flagged)", "(\\Seen)"]))
            time.sleep(2)
    except Exception as e:
        print("flipper:", e, flush=True)
        time.sleep(1)
PY
flipper=$!

sample() {  # rss_kib fds
	echo "$(awk '/^VmRSS/{print $2}' "/proc/$watcher/status" 2>/dev/null || echo 0)" \
	     "$(ls "/proc/$watcher/fd" 2>/dev/null | wc -l)"
}
n=0 cuts=0 start=$(date +%s)
: >"$T/samples"
while [ $(($(date +%s) - start)) -lt "$secs" ]; do
	n=$((n + 1))
	python3 - "$F" "soak-$$-$n" <<'PY' || echo "# delivery $n failed"
import os, smtplib, sys
folder, subj = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("x@example.org", [f"alice+{folder}@example.org"],
               f"From: x@example.org\r\nSubject: {subj}\r\nMessage-ID: <{subj}@soak>\r\n\r\nhi\r\n")
PY
	[ $((n % 2)) = 0 ] && sample >>"$T/samples"
	if [ $((n % cut_every)) = 0 ]; then
		control rst >/dev/null
		sleep 0.5
		control resume >/dev/null
		cuts=$((cuts + 1))
	fi
	sleep 1
done
# let the last ones arrive
for _ in $(seq 300); do
	[ "$(grep -c "@soak" "$T/out")" -ge "$n" ] && break
	sleep 0.1
done
sleep 2
sample >>"$T/samples"
kill -TERM "$watcher"
wait "$watcher"
expect_status "watch ends with 0 on SIGTERM" 0 "$?"
watcher=
kill "$flipper" 2>/dev/null
flipper=

echo "# $n messages delivered in $secs s, $cuts cuts"
printed=$(grep -c "@soak" "$T/out")
distinct=$(grep -o "soak-$$-[0-9]*@soak" "$T/out" | sort -u | wc -l)
expect_status "every delivered message printed" "$n" "$distinct"
expect_status "each printed once" "$n" "$printed"
[ "$distinct" = "$n" ] || sed 's/^/    # /' "$T/err" | tail -20

# memory flat: the largest RSS of the last quarter against the median of
# the first, with a margin (larger under ASan, whose allocator holds more)
python3 - "$T/samples" "$petrel" <<'PY'
import statistics, subprocess, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r[0] > 0]
asan = b"asan" in subprocess.run(["ldd", sys.argv[2]], capture_output=True).stdout
margin = 32 * 1024 if asan else 8 * 1024
q = max(1, len(rows) // 4)
first = statistics.median(r[0] for r in rows[:q])
last = max(r[0] for r in rows[-q:])
fd_first = max(r[1] for r in rows[:q])
fd_last = max(r[1] for r in rows[-q:])
print(f"# RSS: first quarter median {first/1024:.1f} MiB, last quarter max {last/1024:.1f} MiB, "
      f"peak {max(r[0] for r in rows)/1024:.1f} MiB ({len(rows)} samples)")
print(f"# fds: first quarter max {fd_first}, last quarter max {fd_last}")
ok = 0
if last <= first + margin:
    print("ok - memory stays flat")
else:
    print(f"not ok - memory grew: {first/1024:.1f} -> {last/1024:.1f} MiB"); ok = 1
# connections come and go around a cut (one per watched folder, the
# engine's own, TLS and the index): a few fds of slack, a leak grows past it
if fd_last <= fd_first + 8:
    print("ok - no file descriptor leak")
else:
    print(f"not ok - file descriptors grew: {fd_first} -> {fd_last}"); ok = 1
sys.exit(ok)
PY
if [ $? = 0 ]; then t_ok "RSS and fds flat"; else t_fail "RSS or fds grew"; fi

# the store equals the server: a direct sync, then the same UIDs and flags
"$petrel" -c "$T/direct" sync --folder "$F" >/dev/null 2>"$T/sync.err"
expect_status "final sync" 0 "$?"
"$petrel" -c "$T/direct" list --account s --folder "$F" --limit 0 --json |
	python3 -c 'import json,sys; [print(m["id"], ",".join(sorted(f for f in m["flags"] if f in ("flagged","unread")))) for m in sorted(json.load(sys.stdin), key=lambda m: m["id"])]' >"$T/local"
python3 - "$F" >"$T/server" <<'PY'
import imaplib, os, re, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
c = imaplib.IMAP4_SSL("localhost", int(os.environ["PETREL_TEST_IMAPS_PORT"]), ssl_context=ctx)
c.login("alice", os.environ["PETREL_TEST_ALICE_PASS"])
c.select(sys.argv[1], readonly=True)
typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
out = []
for item in data:
    if not isinstance(item, tuple):
        continue
    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
    mid = re.search(rb"<([^>]*)>", item[1]).group(1).decode()
    f = []
    if "\\Flagged" in flags: f.append("flagged")
    if "\\Seen" not in flags: f.append("unread")
    out.append(f"{mid} {','.join(sorted(f))}")
print("\n".join(sorted(out)))
PY
if cmp -s "$T/local" "$T/server"; then t_ok "store equals the server ($(wc -l <"$T/server") messages, flags included)"; else
	t_fail "store differs from the server"; diff "$T/local" "$T/server" | head -20 | sed 's/^/    # /'; fi
finish
