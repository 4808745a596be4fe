#!/usr/bin/env bash
# QRESYNC against the real Dovecot: expunges made by another client
# (doveadm expunge), flag changes and new mail are picked up by one QRESYNC
# SELECT (the debug log shows that path and no UID SEARCH), and the same
# through the fallback (PETREL_NO_QRESYNC=1: CONDSTORE + UID SEARCH); an
# expunge while petrel watch idles is pushed and applied.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
watcher=
cleanup() {
	[ -n "$watcher" ] && kill "$watcher" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"

conf() {  # conf NAME FOLDER
	{ echo "data-dir = $T/$1"; echo "[account $1]"; echo "email = bob@example.org"
	  echo "imap = imaps://$PETREL_TEST_HOST:$PETREL_TEST_IMAPS_PORT"; echo "user = bob"
	  echo "password-command = echo $PETREL_TEST_BOB_PASS"; echo "tls-ca-file = $PETREL_TEST_CA"
	  echo "prefetch = 0"; echo "timeout = 20s"; echo "idle-folders = $2"; } >"$T/$1.conf"
	chmod 600 "$T/$1.conf"
}
# the folder as "message-id flags" lines, on the server and in the store
server_state() {
	$D fetch -u bob 'hdr.message-id flags' mailbox "$1" |
	python3 -c '
import sys
out, mid = [], None
for line in sys.stdin:
    if line.startswith("hdr.message-id:"): mid = line.split(":", 1)[1].strip().strip("<>")
    elif line.startswith("flags:"):
        f = line.split(":", 1)[1]
        out.append(mid + " " + ("F" if "\\Flagged" in f else "-") + ("S" if "\\Seen" in f else "-"))
print("\n".join(sorted(out)))'
}
local_state() {  # local_state NAME FOLDER
	"$petrel" -c "$T/$1.conf" list --account "$1" --folder "$2" --limit 0 --json | python3 -c '
import json, sys
print("\n".join(sorted(m["id"] + " " + ("F" if "flagged" in m["flags"] else "-") +
                       ("-" if "unread" in m["flags"] else "S") for m in json.load(sys.stdin))))'
}
same_state() {  # same_state WHAT NAME FOLDER
	server_state "$3" >"$T/server"
	local_state "$2" "$3" >"$T/local"
	if diff -q "$T/server" "$T/local" >/dev/null; then
		t_ok "$1 ($(wc -l <"$T/local") messages)"
	else
		t_fail "$1: store and server differ (< server, > store):"
		diff "$T/server" "$T/local" | head -10 | sed 's/^/    # /'
	fi
}

for mode in qresync fallback; do
	F=Q$mode$$
	conf $mode "$F"
	if [ $mode = fallback ]; then export PETREL_NO_QRESYNC=1; else unset PETREL_NO_QRESYNC; fi
	s() { PETREL_DEBUG="$T/$mode.log" "$petrel" -c "$T/$mode.conf" sync --folder "$F"; }
	"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 500 >/dev/null 2>&1
	s >"$T/out" 2>"$T/err"
	expect_status "$mode: first sync" 0 "$?"
	same_state "$mode: store = server after the first sync" $mode "$F"

	: >"$T/$mode.log"
	s >"$T/out" 2>"$T/err"
	expect_contains "$mode: nothing changed" "$T/out" "$F: 500 messages, unchanged"

	# another client expunges and changes flags; new mail arrives
	$D expunge -u bob mailbox "$F" uid 10:19
	$D expunge -u bob mailbox "$F" uid 250
	$D flags add -u bob '\Flagged' mailbox "$F" uid 100:104
	$D flags remove -u bob '\Seen' mailbox "$F" uid 1:500
	$D flags add -u bob '\Seen' mailbox "$F" uid 300:302
	: >"$T/$mode.log"
	s >"$T/out" 2>"$T/err"
	expect_status "$mode: sync after another client's changes" 0 "$?"
	expect_contains "$mode: 11 removed" "$T/out" "489 messages, 0 new"
	expect_contains "$mode: removal counted" "$T/out" "11 removed"
	same_state "$mode: store = server after expunges and flag changes" $mode "$F"
	if [ $mode = qresync ]; then
		expect_contains "qresync: SELECT with QRESYNC sent" "$T/$mode.log" "(QRESYNC ("
		expect_contains "qresync: the QRESYNC path was taken" "$T/$mode.log" "QRESYNC: "
		expect_not_contains "qresync: no UID SEARCH for expunges" "$T/$mode.log" "UID SEARCH ALL"
		expect_not_contains "qresync: no UID SEARCH as a safety net" "$T/$mode.log" "to be sure"
	else
		expect_not_contains "fallback: no QRESYNC SELECT" "$T/$mode.log" "(QRESYNC ("
		expect_contains "fallback: UID SEARCH for expunges" "$T/$mode.log" "no QRESYNC: UID SEARCH"
	fi

	# an expunge and a new message together: the count stays the same
	$D expunge -u bob mailbox "$F" uid 400
	"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 1 >/dev/null 2>&1
	s >"$T/out" 2>"$T/err"
	expect_contains "$mode: one removed, one new, same count" "$T/out" "489 messages, 1 new"
	same_state "$mode: store = server after an expunge plus a new message" $mode "$F"
done
unset PETREL_NO_QRESYNC

# expunged while petrel watch idles: pushed (VANISHED), then applied
F=Qqresync$$
: >"$T/qresync.log"
PETREL_DEBUG="$T/qresync.log" "$petrel" -c "$T/qresync.conf" watch >"$T/w.out" 2>"$T/w.err" &
watcher=$!
for _ in $(seq 100); do grep -q "idling on $F" "$T/qresync.log" && break; sleep 0.1; done
$D expunge -u bob mailbox "$F" uid 450:459
for _ in $(seq 100); do
	[ "$(local_state qresync "$F" | wc -l)" = 479 ] && break
	sleep 0.1
done
same_state "an expunge during IDLE is applied by watch" qresync "$F"
expect_contains "it came as VANISHED during IDLE" "$T/qresync.log" "VANISHED pushed during IDLE"
kill -TERM "$watcher"
wait "$watcher"
watcher=
finish
