#!/usr/bin/env bash
# petrel against a hostile IMAP server (tests/integration/imap_hostile.py, a
# fake for faults real servers will not produce): response codes without
# text, NULs, an endless line, absurd and stalled literals, invalid UTF-8,
# bogus UIDs, unsolicited responses, BYE, cuts and a stall.  Each run must
# end within a minute (no hang), by itself (no signal: exit 0, 1 or 2), with
# bounded memory, saying what went wrong in words; the store must still hold
# what an earlier good sync put there, and a good sync afterwards recovers.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
T=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$T"' EXIT
# Peak memory allowed for one run (KiB).  Without the guard an endless line
# grows by the speed of loopback until the machine runs out.
RSS_MAX=$((400 * 1024))

serve() {  # serve SCENARIO [ARGS]: (re)starts the server, sets $port
	[ -n "$srv" ] && { kill "$srv"; wait "$srv"; } 2>/dev/null
	python3 "$PETREL_SRC/tests/integration/imap_hostile.py" --scenario "$@" \
		--log "$T/commands" >"$T/srv.out" 2>&1 &
	srv=$!
	listening
}
listening() {  # waits for the server's "listening PORT" line; sets $port
	for _ in $(seq 200); do grep -q '^listening [0-9]' "$T/srv.out" && break; sleep 0.05; done
	port=$(awk '/^listening/{print $2}' "$T/srv.out")
}
conf() {  # conf NAME: $T/NAME.conf, data in $T/d-NAME, at the current $port
	cat >"$T/$1.conf" <<CONF
data-dir = $T/d-$1
[account h]
email = bob@example.org
imap = imap://127.0.0.1:$port
tls = off
user = bob
password-command = echo not-a-secret
timeout = 3s
CONF
	chmod 600 "$T/$1.conf"
}
run() {  # run NAME ARGS...: petrel -c $T/NAME.conf ARGS, output in $T/out; sets $rc
	# (exit code, "signalN" or "hang") and $rss (peak KiB)
	local res
	res=$(python3 -c '
import resource, subprocess, sys
out = open(sys.argv[1], "w")
try:
    rc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT, timeout=60).returncode
    rc = "signal%d" % -rc if rc < 0 else str(rc)
except subprocess.TimeoutExpired:
    rc = "hang"
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
' "$T/out" "$petrel" -c "$T/$1.conf" "${@:2}")
	rc=${res% *}
	rss=${res#* }
}
count() {  # count NAME: messages petrel list shows
	"$petrel" -c "$T/$1.conf" list --account h --limit 0 2>/dev/null | wc -l
}
# ends NAME RC... : the run ended by itself with one of the exit codes
ends() {
	local name=$1 ok=; shift
	for want in "$@"; do [ "$rc" = "$want" ] && ok=1; done
	if [ -n "$ok" ]; then t_ok "$name: exit $rc"; else
		t_fail "$name: exit '$rc', expected one of $*"; sed 's/^/    # /' "$T/out"; fi
	if [ "$rss" -lt "$RSS_MAX" ]; then t_ok "$name: peak memory $((rss / 1024)) MiB"; else
		t_fail "$name: peak memory $((rss / 1024)) MiB (limit $((RSS_MAX / 1024)))"; fi
}

# A good server first: the baseline, and a store to keep.
serve normal
conf keep
run keep sync
ends "normal sync" 0
expect_status "normal sync stores the three messages" 3 "$(count keep)"

# Scenarios petrel must get through: the sync succeeds.
for sc in alert nul unsolicited; do
	serve "$sc"
	conf "$sc"
	run "$sc" sync
	ends "$sc: fresh sync" 0
	expect_status "$sc: all three messages stored" 3 "$(count "$sc")"
	conf keep
	run keep sync
	ends "$sc: sync of a synced store" 0
	expect_status "$sc: nothing lost" 3 "$(count keep)"
done
serve alert
conf alert
run alert check
ends "alert: check" 0

# The server hides control bytes and invalid UTF-8 in names and headers: the
# folder list and the index show them only through the sanitizer.
serve bad-utf8
conf bad
run bad sync
ends "bad-utf8: sync" 0 1
"$petrel" -c "$T/bad.conf" folders >"$T/folders" 2>&1
"$petrel" -c "$T/bad.conf" list --account h >"$T/list" 2>&1
for f in folders list; do
	if python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); d.decode("utf-8"); sys.exit(any(c < 32 and c not in (9, 10) for c in d))' "$T/$f"; then
		t_ok "bad-utf8: $f output is valid UTF-8 without control bytes"
	else
		t_fail "bad-utf8: $f output has invalid UTF-8 or control bytes"; od -c "$T/$f" | head -20 | sed 's/^/    # /'
	fi
done
expect_status "bad-utf8: the three messages are listed" 3 "$(grep -c . "$T/list")"

# Bogus UIDs (0, duplicates, decreasing, never asked for): no crash, no
# message under UID 0, the good ones kept.
serve bogus-uids
conf bogus
run bogus sync
ends "bogus-uids: fresh sync" 0 1
n=$(count bogus)
if [ "$n" -ge 1 ] && [ "$n" -le 3 ]; then t_ok "bogus-uids: $n messages, none invented"; else
	t_fail "bogus-uids: $n messages listed"; fi
conf keep
run keep sync
ends "bogus-uids: sync of a synced store" 0 1
expect_status "bogus-uids: nothing lost" 3 "$(count keep)"

# Scenarios that must fail cleanly, with a reason, keeping the store.
check_fail() {  # check_fail SCENARIO TEXT
	serve "$1"
	conf "f-$1"
	run "f-$1" sync
	ends "$1: fresh sync fails" 1 2
	expect_contains "$1: says why" "$T/out" "$2"
	sed 's/^/    # /' "$T/out"
	conf keep
	run keep sync
	ends "$1: sync of a synced store" 0 1 2
	expect_status "$1: nothing lost" 3 "$(count keep)"
}
check_fail endless-line "sent a line longer than 16 MiB"
check_fail huge-literal "larger than 256 MiB"
check_fail stall-literal "sent nothing for 3 seconds"
check_fail stall "sent nothing for 3 seconds"
check_fail bye "lost"

# POP3: libetpan reads its lines unbounded too; the guard caps them.
mkdir "$T/pop"
printf 'From: a@example.org\nSubject: kept on the server\n\nbody\n' >"$T/pop/1"
[ -n "$srv" ] && { kill "$srv"; wait "$srv"; } 2>/dev/null
python3 "$PETREL_SRC/tests/integration/pop3_fake.py" --dir "$T/pop" --endless-line >"$T/srv.out" 2>&1 &
srv=$!
listening
cat >"$T/pop.conf" <<CONF
data-dir = $T/d-pop
[account h]
email = bob@example.org
pop3 = pop3://127.0.0.1:$port
tls = off
user = bob
password-command = echo not-a-secret
pop3-mode = delete
timeout = 3s
CONF
chmod 600 "$T/pop.conf"
run pop sync
ends "pop3 endless line: sync fails" 1 2
expect_contains "pop3 endless line: says why" "$T/out" "16 MiB"
sed 's/^/    # /' "$T/out"
expect_status "pop3 endless line: the message stays on the server" 1 "$(ls "$T/pop" | wc -l)"

# Cuts at many points of the conversation: each run ends, then a good
# server brings the store to the three messages.
for at in 10 30 60 90 150 250 400 600 900 1300; do
	serve cut --cut-at "$at"
	conf "cut$at"
	run "cut$at" sync
	ends "cut after $at bytes" 0 1 2
	serve normal
	conf "cut$at"
	run "cut$at" sync
	ends "cut after $at bytes: recovery sync" 0
	expect_status "cut after $at bytes: recovered" 3 "$(count "cut$at")"
done
finish
