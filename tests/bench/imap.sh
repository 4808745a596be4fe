#!/usr/bin/env bash
# IMAP sync benchmark over a shaped link (issue: IMAP sync engine):
# the fault proxy adds 50 ms each way (100 ms RTT) and caps 1 Mbit/s.
#  (a) cold: from `petrel sync` start until `petrel list --limit 50` shows the
#      newest 50 (target < 1 s)
#  (b) warm: store synced, nothing changed: list time (target < 0.1 s), and
#      the reconciling sync's time and bytes (targets < 1 s, < 20 KB)
#  (c) full header sync of the folder: seconds and bytes, with COMPRESS (the
#      default) and without (compress = off; measured unshaped to save
#      minutes, bytes do not depend on the shaping)
#  (e) warm sync after another client expunged 20 and flagged 20: with
#      QRESYNC and without (PETREL_NO_QRESYNC=1), from two copies of one store
# usage: tests/bench/imap.sh [N]   (default 50000 messages in INBOX)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
petrel=${PETREL:-$here/build/petrel}
n=${1:-50000}
T=$(mktemp -d /tmp/petrel-bench.XXXXXX)
chmod 755 "$T"
proxy_pid=
ctl() { python3 - "$cport" "$1" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall((sys.argv[2] + "\n").encode()); s.recv(200)
PY
}
cleanup() {
	[ -n "$proxy_pid" ] && kill "$proxy_pid" 2>/dev/null
	"$here/tests/servers/stop.sh" "$T/srv" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
PETREL_START_QUIET=1 "$here/tests/servers/start.sh" "$T/srv" >/dev/null
. "$T/srv/env"
"$here/tests/servers/load-mail.sh" "$T/srv" alice INBOX "$n" >/dev/null 2>&1

python3 "$here/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_IMAPS_PORT" \
	--latency 50 --bandwidth 125000 --control-port 0 >"$T/proxy.out" 2>&1 &
proxy_pid=$!
for _ in $(seq 50); do [ "$(wc -l <"$T/proxy.out")" -ge 2 ] && break; sleep 0.1; done
pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
cport=$(awk '/^control/{print $2}' "$T/proxy.out")
stats() { python3 - "$cport" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"stats\n"); r = s.recv(200).decode()
c2s = int(r.split("c2s=")[1].split()[0]); s2c = int(r.split("s2c=")[1].split()[0])
print(c2s + s2c)
PY
}
cat >"$T/config" <<CONF
data-dir = $T/data
[account bench]
email = alice@example.org
imap = imaps://localhost:$pport
user = alice
password-command = echo $PETREL_TEST_ALICE_PASS
tls-ca-file = $PETREL_TEST_CA
prefetch = 0
timeout = 120s
CONF
chmod 600 "$T/config"
now() { date +%s.%N; }
ms() { python3 -c "print(f'{($2 - $1) * 1000:.0f} ms')"; }

echo "INBOX of $n messages; link: 100 ms RTT, 1 Mbit/s each way (fault proxy)"
b0=$(stats)
t0=$(now)
"$petrel" -c "$T/config" sync --headers-only --folder INBOX >"$T/sync.out" 2>&1 &
sync_pid=$!
while :; do
	lines=$("$petrel" -c "$T/config" list --limit 50 2>/dev/null | wc -l)
	[ "$lines" -ge 50 ] && break
	kill -0 "$sync_pid" 2>/dev/null || break
	sleep 0.02
done
t1=$(now)
echo "(a) cold: newest 50 listed after $(ms "$t0" "$t1")"
wait "$sync_pid" || echo "sync failed: $(cat "$T/sync.out")"
t2=$(now)
b1=$(stats)
echo "(c) full header sync of $n with COMPRESS: $(python3 -c "print(f'{$t2 - $t0:.1f} s')"), $(( (b1 - b0) / 1024 )) KiB on the wire"

b2=$(stats)
t3=$(now)
"$petrel" -c "$T/config" sync --headers-only --folder INBOX >"$T/sync2.out" 2>&1
t4=$(now)
b3=$(stats)
echo "(b) warm sync, nothing changed, QRESYNC: $(ms "$t3" "$t4"), $(( b3 - b2 )) bytes on the wire ($(cat "$T/sync2.out"))"
b2=$(stats); t3=$(now)
PETREL_NO_QRESYNC=1 "$petrel" -c "$T/config" sync --headers-only --folder INBOX >"$T/sync2.out" 2>&1
t4=$(now); b3=$(stats)
echo "(b) warm sync, nothing changed, no QRESYNC: $(ms "$t3" "$t4"), $(( b3 - b2 )) bytes on the wire"
t5=$(now)
"$petrel" -c "$T/config" list --limit 50 >/dev/null
t6=$(now)
echo "(b) warm: petrel list --limit 50: $(ms "$t5" "$t6")"

# (e) lightly changed: two copies of the synced store, one per path
cp -a "$T/data" "$T/data2"
sed "s|^data-dir = .*|data-dir = $T/data2|" "$T/config" >"$T/config2"
chmod 600 "$T/config2"
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }
dv expunge -u alice mailbox INBOX uid 1000:1009
dv expunge -u alice mailbox INBOX uid 30000:30009
dv flags add -u alice '\Flagged' mailbox INBOX uid 20000:20019
for path in QRESYNC fallback; do
	cfg=$T/config; [ $path = fallback ] && cfg=$T/config2
	b2=$(stats); t3=$(now)
	if [ $path = fallback ]; then
		PETREL_NO_QRESYNC=1 PETREL_DEBUG="$T/$path.log" "$petrel" -c "$cfg" sync --headers-only --folder INBOX >"$T/sync3.out" 2>&1
	else
		PETREL_DEBUG="$T/$path.log" "$petrel" -c "$cfg" sync --headers-only --folder INBOX >"$T/sync3.out" 2>&1
	fi
	t4=$(now); b3=$(stats)
	rt=$(sed -n 's/.* \([0-9]*\) round trips so far.*/\1/p' "$T/$path.log" | tail -1)
	echo "(e) warm sync after 20 expunged + 20 flagged elsewhere, $path: $(ms "$t3" "$t4"), $(( b3 - b2 )) bytes, $rt round trips ($(cat "$T/sync3.out"))"
done

# (c) without COMPRESS: bytes of a full header sync; unshaped to save minutes
ctl "latency 0"; ctl "bandwidth 0"
cat "$T/config" | sed "s|^data-dir = .*|data-dir = $T/data3|" >"$T/config3"
echo "compress = off" >>"$T/config3"
chmod 600 "$T/config3"
b4=$(stats); t7=$(now)
"$petrel" -c "$T/config3" sync --headers-only --folder INBOX >"$T/sync4.out" 2>&1 || echo "sync failed: $(cat "$T/sync4.out")"
t8=$(now); b5=$(stats)
echo "(c) full header sync of $n without COMPRESS: $(( (b5 - b4) / 1024 )) KiB on the wire" \
	"(would take $(( (b5 - b4) / 125000 )) s at 1 Mbit/s; $(python3 -c "print(f'{$t8 - $t7:.1f} s')") unshaped)"
