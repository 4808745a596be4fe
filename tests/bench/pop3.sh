#!/usr/bin/env bash
# Benchmark of POP3 header-first on a slow link: 5,000 messages waiting on
# Dovecot, reached through the fault proxy shaped to 1 Mbit/s and 100 ms
# round trip (50 ms each way); pop3-headers-first = yes.  Measures the time
# from the start of `petrel sync` until `petrel list --limit 50` (run in a
# loop meanwhile) shows the newest 50 messages.  Target (issue 5): < 1 s.
# Also prints how long the headers of all of them took.
# usage: tests/bench/pop3.sh [N]   (default 5000; starts its own test
# servers unless PETREL_TEST_DIR says some are running; uses user carol,
# whose mailbox it empties)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${PETREL_TEST_DIR:-}" ]; then
	exec "$here/tests/servers/with-servers.sh" "$0" "$@"
fi
petrel=${PETREL:-$here/build/petrel}
n=${1:-5000}
T=$(mktemp -d)
proxy_pid=
trap '[ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null; rm -rf "$T"' EXIT

doveadm -c "$PETREL_TEST_DOVECOT_CONF" expunge -u carol mailbox INBOX all
"$here/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" carol INBOX "$n" >/dev/null

python3 "$here/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_POP3S_PORT" \
	--latency 50 --bandwidth 125000 >"$T/proxy" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$T/proxy" ] && break; sleep 0.1; done
port=$(awk '/listening/{print $2}' "$T/proxy")

cat >"$T/config" <<EOF
data-dir = $T/data
[account bench]
email = carol@example.org
pop3 = pop3s://$PETREL_TEST_HOST:$port
user = carol
password-command = echo $PETREL_TEST_CAROL_PASS
tls-ca-file = $PETREL_TEST_CA
pop3-headers-first = yes
EOF
chmod 600 "$T/config"

python3 - "$petrel" "$T/config" "$PETREL_TEST_MAIL_ROOT/carol/Maildir" "$n" <<'PY'
import email.utils, glob, json, re, subprocess, sys, time
petrel, conf, maildir, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
msgs = []
for f in glob.glob(maildir + "/cur/*") + glob.glob(maildir + "/new/*"):
    head = open(f, "rb").read().split(b"\n\n", 1)[0].decode("utf-8", "replace")
    mid = re.search(r"^Message-ID:\s*<([^>]*)>", head, re.M | re.I).group(1)
    date = re.search(r"^Date:\s*(.*)$", head, re.M | re.I).group(1)
    msgs.append((email.utils.parsedate_to_datetime(date).timestamp(), mid))
want = {mid for _, mid in sorted(msgs)[-50:]}
print(f"{len(msgs)} messages waiting; link: 1 Mbit/s, 100 ms round trip; pop3-headers-first")
start = time.perf_counter()
sync = subprocess.Popen([petrel, "-c", conf, "sync", "--headers-only"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
first = None
lists = 0
while first is None and sync.poll() is None:
    r = subprocess.run([petrel, "-c", conf, "list", "--limit", "50", "--json"],
                       capture_output=True, text=True)
    lists += 1
    try:
        got = {m["id"] for m in json.loads(r.stdout or "[]")}
    except ValueError:
        got = set()
    if got == want:
        first = time.perf_counter() - start
out, err = sync.communicate()
total = time.perf_counter() - start
if first is None:
    print("the newest 50 were never listed while the sync ran", file=sys.stderr)
    print(out, err, file=sys.stderr)
    sys.exit(1)
print(f"newest 50 listed after {first * 1000:.0f} ms (target < 1000 ms; {lists} list runs)")
print(f"headers of all {n}: {total:.1f} s ({out.strip()})")
PY
