#!/usr/bin/env bash
# IMAP sync under network faults (fault proxy): the connection is cut at 20
# points of a sync (FIN and RST alternating) and stalled once; no run hangs,
# each says what went wrong, and a clean sync afterwards leaves exactly the
# store a clean sync alone gives.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
proxy=
trap '[ -n "$proxy" ] && kill $proxy 2>/dev/null; rm -rf "$T"' EXIT
F=Faults$$
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 500 >/dev/null 2>&1

mk() {  # mk NAME PORT DATA [LINE]: writes $T/NAME.conf
	cat >"$T/$1.conf" <<CONF
data-dir = $3
[account b]
email = bob@example.org
imap = imaps://$PETREL_TEST_HOST:$2
user = bob
password-command = echo $PETREL_TEST_BOB_PASS
tls-ca-file = $PETREL_TEST_CA
prefetch = 3650d
prefetch-max-size = 64K
timeout = 3s
${4:-}
CONF
	chmod 600 "$T/$1.conf"
}
state() {  # state CONFIG: ids, flags and body-local of the folder, sorted
	"$petrel" -c "$1" list --account b --folder "$F" --limit 0 --json |
		python3 -c 'import json,sys; [print(m["id"], ",".join(m["flags"]), m["local"]) for m in sorted(json.load(sys.stdin), key=lambda m: m["id"])]'
}
mk ref "$PETREL_TEST_IMAPS_PORT" "$T/d-ref"
"$petrel" -c "$T/ref.conf" sync --folder "$F" >/dev/null 2>&1
state "$T/ref.conf" >"$T/ref.state"
n=$(wc -l <"$T/ref.state")
expect_status "reference sync has every message" 500 "$n"

start_proxy() {  # start_proxy ARGS...: sets $pport
	python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 \
		--target-port "$PETREL_TEST_IMAPS_PORT" "$@" >"$T/proxy.out" 2>&1 &
	proxy=$!
	for _ in $(seq 200); do grep -q '^listening [0-9]' "$T/proxy.out" && break; sleep 0.05; done
	pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
}
stop_proxy() { kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null; proxy=; }

bad=0 hung=0 i=0
for cut in 300 900 2000 3500 6000 9000 14000 20000 30000 45000 60000 80000 110000 150000 \
	   200000 260000 330000 420000 520000 650000; do
	i=$((i + 1))
	rst=(); [ $((i % 2)) = 0 ] && rst=(--rst)
	start_proxy --cut-after "$cut" "${rst[@]}"
	# Dovecot offers COMPRESS: the early cuts fall inside the compressed
	# stream; the whole compressed sync is shorter than the late cut
	# points, so those run uncompressed to still cut somewhere
	zip=; [ "$cut" -ge 150000 ] && zip="compress = off"
	mk cut "$pport" "$T/run$i" "$zip"
	start=$(date +%s)
	timeout 120 "$petrel" -c "$T/cut.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
	st=$?
	[ "$st" = 124 ] && hung=$((hung + 1))
	stop_proxy
	# a clean sync after the fault must give the reference store
	mk clean "$PETREL_TEST_IMAPS_PORT" "$T/run$i"
	"$petrel" -c "$T/clean.conf" sync --folder "$F" >/dev/null 2>&1
	state "$T/clean.conf" >"$T/run.state"
	if ! diff -q "$T/ref.state" "$T/run.state" >/dev/null; then
		bad=$((bad + 1))
		echo "# cut after $cut bytes ${rst[*]}: store differs:"
		diff "$T/ref.state" "$T/run.state" | head -5 | sed 's/^/#   /'
	fi
	if [ "$st" != 0 ] && ! grep -qE "lost|closed|refused|timed out|cannot|broke|handshake" "$T/err"; then
		echo "# cut after $cut: failed without a clear reason: $(head -2 "$T/err")"
		bad=$((bad + 1))
	fi
	rm -rf "$T/run$i"
done
expect_status "no sync hung at any of 20 cut points" 0 "$hung"
expect_status "after each cut, a clean sync gives the reference store" 0 "$bad"

# a stall: the server goes silent mid-sync; the timeout (3 s) ends it
start_proxy --stall-after 20000
mk stall "$pport" "$T/d-stall"
start=$(date +%s)
timeout 60 "$petrel" -c "$T/stall.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
st=$?
took=$(( $(date +%s) - start ))
stop_proxy
if [ "$st" != 124 ] && [ "$took" -lt 30 ]; then t_ok "a stalled connection ends in ${took} s (status $st)"; else
	t_fail "stalled sync: status $st after ${took} s"; fi
expect_contains "the stall is reported" "$T/err" "lost"
finish
