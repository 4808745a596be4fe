#!/usr/bin/env bash
# petrel watch: IMAP IDLE push on INBOX and a second watched folder prints
# each message delivered over LMTP within 2 s (the measured latency is
# printed); after the connection is cut (fault proxy), it reconnects and
# reports what arrived meanwhile; SIGTERM ends it with status 0.
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
F2=Push$$
doveadm -c "$PETREL_TEST_DOVECOT_CONF" mailbox create -u alice "$F2"

python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_IMAPS_PORT" \
	--control-port 0 >"$T/proxy.out" 2>&1 &
proxy=$!
for _ in $(seq 50); do [ "$(wc -l <"$T/proxy.out")" -ge 2 ] && break; sleep 0.1; done
pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
cport=$(awk '/^control/{print $2}' "$T/proxy.out")
control() { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall((sys.argv[2] + "\n").encode()); print(s.recv(200).decode().strip())' "$cport" "$1"; }

cat >"$T/config" <<CONF
data-dir = $T/data
[account w]
email = alice@example.org
imap = imaps://localhost:$pport
user = alice
password-command = echo $PETREL_TEST_ALICE_PASS
tls-ca-file = $PETREL_TEST_CA
idle-folders = INBOX, $F2
timeout = 10s
CONF
chmod 600 "$T/config"

"$petrel" -c "$T/config" watch >"$T/out" 2>"$T/err" &
watcher=$!
# ready when both folders are idling: the initial syncs are done
for _ in $(seq 100); do [ -d "$T/data/mail/w/$F2/cur" ] && break; sleep 0.1; done
sleep 1

deliver() {  # deliver RCPT SUBJECT -> prints the send time
	python3 - "$1" "$2" <<'PY'
import os, smtplib, sys, time
rcpt, subj = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("x@example.org", [rcpt], f"From: x@example.org\r\nSubject: {subj}\r\nMessage-ID: <{subj}@push>\r\n\r\nhi\r\n")
print(time.time())
PY
}
wait_line() {  # wait_line TEXT SECONDS -> prints the time the line appeared, or nothing
	local end=$(( $(date +%s) + $2 ))
	while [ "$(date +%s)" -le "$end" ]; do
		if grep -q "$1" "$T/out"; then date +%s.%N; return; fi
		sleep 0.02
	done
}
latency() { python3 -c "print(f'{($2 - $1) * 1000:.0f}')"; }

for target in "alice@example.org inbox-$$" "alice+$F2@example.org folder-$$"; do
	set -- $target
	sent=$(deliver "$1" "$2")
	seen=$(wait_line "$2" 5)
	if [ -z "$seen" ]; then
		t_fail "push of $2 not printed within 5 s"; cat "$T/err" | sed 's/^/    # /'
		continue
	fi
	ms=$(latency "$sent" "$seen")
	echo "# IDLE push latency ($2): $ms ms"
	if [ "$ms" -lt 2000 ]; then t_ok "$2 printed within 2 s ($ms ms)"; else t_fail "$2 took $ms ms"; fi
done
expect_contains "line format: account, folder, id" "$T/out" "$(printf 'w\tINBOX\tid:inbox-%s@push' $$)"
expect_contains "second folder named" "$T/out" "$(printf 'w\t%s\tid:folder-%s@push' "$F2" $$)"

# cut every connection: watch reconnects and reports what came meanwhile
control rst >/dev/null
sent=$(deliver alice@example.org "during-cut-$$")
sleep 1
control resume >/dev/null
seen=$(wait_line "during-cut-$$" 20)
if [ -n "$seen" ]; then t_ok "after a cut, the message that arrived meanwhile is reported"; else
	t_fail "not reported after the cut"; sed 's/^/    # /' "$T/err"; fi
expect_contains "the cut is reported on stderr" "$T/err" "reconnecting"

kill -TERM "$watcher"
wait "$watcher"
expect_status "SIGTERM ends watch with 0" 0 "$?"
watcher=
lines=$(grep -c "@push" "$T/out")
expect_status "each message once" 3 "$lines"

# POP3 has no push: watch polls every poll-interval
cat >"$T/pop.conf" <<CONF
data-dir = $T/popdata
[account p]
email = carol@example.org
pop3 = pop3s://localhost:$PETREL_TEST_POP3S_PORT
user = carol
password-command = echo $PETREL_TEST_CAROL_PASS
tls-ca-file = $PETREL_TEST_CA
poll-interval = 1s
CONF
chmod 600 "$T/pop.conf"
"$petrel" -c "$T/pop.conf" watch >"$T/out" 2>"$T/err" &
watcher=$!
sleep 2
sent=$(deliver carol@example.org "pop-$$")
seen=$(wait_line "pop-$$" 10)
if [ -n "$seen" ]; then t_ok "POP3: a new message is printed within a poll ($(latency "$sent" "$seen") ms)"; else
	t_fail "POP3: new message not printed"; sed 's/^/    # /' "$T/err"; fi
expect_contains "POP3 line: account p, INBOX" "$T/out" "$(printf 'p\tINBOX\tid:pop-%s@push' $$)"
kill -TERM "$watcher"; wait "$watcher"
expect_status "SIGTERM ends the POP3 watch with 0" 0 "$?"
watcher=
finish
