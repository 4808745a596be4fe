#!/usr/bin/env bash
# IMAP COMPRESS=DEFLATE against the real Dovecot (imap_zlib plugin): sync,
# bodies, flag changes both ways and IDLE push work compressed (the debug log
# says COMPRESS is active) and with compress = off (it never is); after
# STARTTLS too; and a large folder costs fewer bytes on the wire compressed
# (petrel's own wire counters, cross-checked with the fault proxy's count).
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
proxy=
watcher=
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	[ -n "$proxy" ] && kill "$proxy" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
F=Zip$$
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 2000 >/dev/null 2>&1

python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_IMAPS_PORT" \
	--control-port 0 >"$T/proxy.out" 2>&1 &
proxy=$!
for _ in $(seq 50); do [ "$(wc -l <"$T/proxy.out")" -ge 2 ] && break; sleep 0.1; done
pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
cport=$(awk '/^control/{print $2}' "$T/proxy.out")
proxy_bytes() { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall(b"stats\n")
r = s.recv(200).decode()
print(int(r.split("c2s=")[1].split()[0]) + int(r.split("s2c=")[1].split()[0]))' "$cport"; }

conf() {  # conf NAME URL [extra lines]
	local name=$1 url=$2; shift 2
	{ echo "data-dir = $T/$name"; echo "[account $name]"; echo "email = bob@example.org"
	  echo "imap = $url"; echo "user = bob"; echo "password-command = echo $PETREL_TEST_BOB_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "prefetch = 0"; echo "timeout = 20s"
	  echo "idle-folders = $F"; printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
conf on "imaps://localhost:$pport"
conf off "imaps://localhost:$pport" "compress = off"
conf tls "imap://localhost:$PETREL_TEST_IMAP_PORT"
p() { PETREL_DEBUG="$T/$1.log" "$petrel" -c "$T/$1.conf" "${@:2}"; }
# wire bytes petrel counted (in + out), from the last session-close line
wire() { sed -n 's/.*wire bytes so far: \([0-9]*\) in, \([0-9]*\) out.*/\1 \2/p' "$T/$1.log" |
	tail -1 | awk '{print $1 + $2}'; }
flags_on_server() {  # flags_on_server MESSAGE-ID
	$D fetch -u bob flags mailbox "$F" header message-id "$1" | sed -n 's/^flags: //p'; }

count() { $D search -u bob mailbox "$F" | wc -l; }
for mode in on off; do
	[ $mode = on ] && flag='\Answered' name=replied || flag='\Draft' name=draft
	rm -f "$T/$mode.log"
	n=$(count)
	b0=$(proxy_bytes)
	p $mode sync --folder "$F" >"$T/out" 2>"$T/err"
	expect_status "$mode: first sync of $n messages" 0 "$?"
	b1=$(proxy_bytes)
	expect_contains "$mode: all new" "$T/out" "$F: $n messages, $n new"
	eval "wire_$mode=\$(wire $mode) proxy_$mode=\$((b1 - b0))"
	if [ $mode = on ]; then
		expect_contains "on: the debug log shows COMPRESS active" "$T/on.log" "COMPRESS=DEFLATE active"
		expect_contains "on: and the ratio" "$T/on.log" "COMPRESS closed: received"
	else
		expect_not_contains "off: COMPRESS never asked for" "$T/off.log" "COMPRESS=DEFLATE active"
	fi

	# a body on demand
	id=$(p $mode list --account $mode --folder "$F" --limit 1 | cut -f1)
	p $mode show "$id" >"$T/out" 2>"$T/err"
	expect_status "$mode: show fetches a body" 0 "$?"
	expect_not_contains "$mode: the body is here" "$T/out" "not downloaded"
	p $mode list --account $mode --folder "$F" --limit 1 >"$T/out"
	expect_contains "$mode: marked local" "$T/out" "local"

	# a flag change by petrel reaches the server, one by another client comes back
	p $mode flag "$id" +flagged >"$T/out" 2>"$T/err"
	expect_status "$mode: flag" 0 "$?"
	case "$(flags_on_server "${id#id:}")" in
	*Flagged*) t_ok "$mode: the flag is on the server" ;;
	*) t_fail "$mode: flag not on the server: $(flags_on_server "${id#id:}")" ;;
	esac
	other=$(p $mode list --account $mode --folder "$F" --limit 2 | sed -n 2p | cut -f1)
	$D flags add -u bob "$flag" mailbox "$F" header message-id "${other#id:}"
	p $mode sync --folder "$F" >"$T/out" 2>"$T/err"
	expect_status "$mode: sync after another client's change" 0 "$?"
	expect_contains "$mode: the change came" "$T/out" "1 flag changes"
	p $mode list --account $mode --folder "$F" --limit 0 --json >"$T/json"
	python3 -c '
import json, sys
m = {x["id"]: x for x in json.load(open(sys.argv[1]))}
sys.exit(0 if sys.argv[3] in m[sys.argv[2].removeprefix("id:")]["flags"] else 1)' "$T/json" "$other" "$name" &&
		t_ok "$mode: $name flag in the store" || t_fail "$mode: $name flag missing"

	# IDLE push
	rm -f "$T/w.out"
	PETREL_DEBUG="$T/$mode.log" "$petrel" -c "$T/$mode.conf" watch >"$T/w.out" 2>"$T/w.err" &
	watcher=$!
	for _ in $(seq 100); do grep -q "idling on $F" "$T/$mode.log" 2>/dev/null && break; sleep 0.1; done
	python3 - "bob+$F@example.org" "push-$mode-$$" <<'PY'
import os, smtplib, sys
rcpt, subj = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("x@example.org", [rcpt], f"From: x@example.org\r\nSubject: {subj}\r\nMessage-ID: <{subj}@push>\r\n\r\nhi\r\n")
PY
	for _ in $(seq 100); do grep -q "push-$mode-$$" "$T/w.out" && break; sleep 0.05; done
	expect_contains "$mode: IDLE push printed by watch" "$T/w.out" "push-$mode-$$@push"
	kill -TERM "$watcher"
	wait "$watcher"
	expect_status "$mode: watch ends with 0" 0 "$?"
	watcher=
done
expect_contains "on: the watch session was compressed too" "$T/on.log" "(COMPRESS) after"

echo "# 2000 headers: $wire_on wire bytes compressed, $wire_off without (petrel's counters);" \
	"proxy counted $proxy_on and $proxy_off"
if [ "$wire_on" -gt 0 ] && [ $((wire_on * 2)) -lt "$wire_off" ]; then
	t_ok "compressed sync takes less than half the wire bytes ($wire_on vs $wire_off)"
else
	t_fail "compression did not save bytes: $wire_on vs $wire_off"
fi
if [ $((proxy_on * 2)) -lt "$proxy_off" ]; then
	t_ok "the proxy agrees ($proxy_on vs $proxy_off)"
else
	t_fail "the proxy saw $proxy_on vs $proxy_off bytes"
fi

# COMPRESS on top of STARTTLS
n=$(count)
p tls sync --folder "$F" >"$T/out" 2>"$T/err"
expect_status "STARTTLS + COMPRESS: sync" 0 "$?"
expect_contains "STARTTLS + COMPRESS: active" "$T/tls.log" "COMPRESS=DEFLATE active"
expect_contains "STARTTLS + COMPRESS: every message" "$T/out" "$F: $n messages, $n new"
finish
