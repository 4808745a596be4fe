#!/usr/bin/env bash
# A full disk and a read-only store: petrel's data dir on a small tmpfs that
# is filled up during an IMAP sync, a POP3 drain (delete mode), an import
# and queueing a message to send; then remounted read-only.  Each time petrel must say so
# in words, end by itself (no crash), keep the server's copies (no DELE of a
# message not safely stored), and recover completely once space returns.
# Needs root (mount); skips otherwise.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
D=$T/data
mkdir -p "$D"
cleanup() {
	umount "$D" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
if ! mount -t tmpfs -o size=12m,mode=0700 tmpfs "$D" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (needs root)"
	exit 77
fi
F=Full$$
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 400 >/dev/null 2>&1
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }
dv expunge -u carol mailbox INBOX all >/dev/null 2>&1
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" carol INBOX 150 >/dev/null 2>&1

cat >"$T/config" <<CONF
data-dir = $D
prefetch = 3650d
[account b]
email = bob@example.org
imap = imaps://$PETREL_TEST_HOST:$PETREL_TEST_IMAPS_PORT
smtp = smtps://$PETREL_TEST_HOST:$PETREL_TEST_SMTPS_PORT
user = bob
password-command = echo $PETREL_TEST_BOB_PASS
tls-ca-file = $PETREL_TEST_CA
[account p]
email = carol@example.org
pop3 = pop3s://$PETREL_TEST_HOST:$PETREL_TEST_POP3S_PORT
user = carol
password-command = echo $PETREL_TEST_CAROL_PASS
tls-ca-file = $PETREL_TEST_CA
pop3-mode = delete
[account l]
CONF
chmod 600 "$T/config"
P() { "$petrel" -c "$T/config" "$@"; }

# fill: leave about $1 KiB free on the tmpfs
fill() {
	rm -f "$D/filler"
	local free
	free=$(df -k --output=avail "$D" | tail -1)
	if [ "$free" -gt "$1" ]; then
		dd if=/dev/zero of="$D/filler" bs=1K count=$((free - $1)) 2>/dev/null
	fi
}
# ended NAME: the last run ended by itself, not with a signal
ended() {
	if [ "$rc" -lt 128 ]; then t_ok "$1: ended by itself (exit $rc)"; else
		t_fail "$1: killed by signal $((rc - 128))"; sed 's/^/    # /' "$T/err"; fi
}
says_full() {
	if grep -qiE "no space left|disk is full|full" "$T/err"; then t_ok "$1: says the disk is full"; else
		t_fail "$1: does not say the disk is full"; sed 's/^/    # /' "$T/err"; fi
}
server_count() {  # server_count USER FOLDER
	dv mailbox status -u "$1" messages "$2" | awk '{print $NF}' | sed 's/.*=//'
}
local_count() {  # local_count ACCOUNT FOLDER
	P list --account "$1" --folder "$2" --limit 0 2>/dev/null | wc -l
}

# A first sync of nothing creates the index; then IMAP with 150 KiB free.
P sync b --folder INBOX >/dev/null 2>&1
fill "${PETREL_DISKFULL_IMAP_KB:-150}"
timeout 300 "$petrel" -c "$T/config" sync b --folder "$F" >/dev/null 2>"$T/err"
rc=$?
ended "IMAP sync on a full disk"
[ "$rc" != 0 ] && t_ok "IMAP sync on a full disk fails (exit $rc)" || t_fail "IMAP sync on a full disk reported success"
says_full "IMAP sync"
P list --account b --folder "$F" --limit 0 >/dev/null 2>"$T/err"
expect_status "the store is still readable on a full disk" 0 "$?"
rm -f "$D/filler"
timeout 300 "$petrel" -c "$T/config" sync b --folder "$F" >/dev/null 2>"$T/err"
expect_status "IMAP sync after space returns" 0 "$?"
expect_status "every message of the folder is there" "$(server_count bob "$F")" "$(local_count b "$F")"

# POP3 in delete mode: what is not safely stored stays on the server.
fill "${PETREL_DISKFULL_POP3_KB:-100}"
timeout 300 "$petrel" -c "$T/config" sync p >/dev/null 2>"$T/err"
rc=$?
ended "POP3 drain on a full disk"
[ "$rc" != 0 ] && t_ok "POP3 drain on a full disk fails (exit $rc)" || t_fail "POP3 drain on a full disk reported success"
says_full "POP3 drain"
left=$(server_count carol INBOX)
got=$(local_count p INBOX)
if [ $((got + left)) -ge 150 ]; then t_ok "POP3: every message is stored or still on the server ($got + $left)"; else
	t_fail "POP3: messages lost: $got stored + $left on the server < 150"; fi
rm -f "$D/filler"
timeout 300 "$petrel" -c "$T/config" sync p >/dev/null 2>"$T/err"
expect_status "POP3 drain after space returns" 0 "$?"
expect_status "POP3: all 150 stored" 150 "$(local_count p INBOX)"
expect_status "POP3: the server is drained" 0 "$(server_count carol INBOX)"

# Import on a full disk: what fits is kept, the rest is refused in words,
# and importing again after space returns completes without duplicates.
python3 "$PETREL_SRC/tests/gen_mbox.py" 100 "$T/archive.mbox"
fill 100
timeout 300 "$petrel" -c "$T/config" import l Archive "$T/archive.mbox" >/dev/null 2>"$T/err"
rc=$?
ended "import on a full disk"
[ "$rc" != 0 ] && t_ok "import on a full disk fails (exit $rc)" || t_fail "import on a full disk reported success"
says_full "import"
rm -f "$D/filler"
timeout 300 "$petrel" -c "$T/config" import l Archive "$T/archive.mbox" >/dev/null 2>"$T/err"
rc=$?; expect_status "import after space returns" 0 "$rc"; [ "$rc" = 0 ] || sed "s/^/    # /" "$T/err"
expect_status "every message imported once" 100 "$(local_count l Archive)"

# Queueing a message on a full disk: refused in words, nothing half-written.
printf 'From: bob@example.org\nTo: alice@example.org\nSubject: full-%s\n\nhello\n' $$ >"$T/msg.eml"
fill 0
dd if=/dev/zero of="$D/filler2" bs=1K count=1000 2>/dev/null   # whatever is left
timeout 60 "$petrel" -c "$T/config" send --account b --queue-only "$T/msg.eml" >/dev/null 2>"$T/err"
rc=$?
ended "queueing on a full disk"
[ "$rc" != 0 ] && t_ok "queueing on a full disk fails (exit $rc)" || t_fail "queueing on a full disk reported success"
says_full "queueing"
rm -f "$D/filler" "$D/filler2"
P queue list >"$T/q" 2>&1
n=$(grep -c "full-$$" "$T/q")
expect_status "no half-written message in the queue" 0 "$n"
timeout 60 "$petrel" -c "$T/config" send --account b --queue-only "$T/msg.eml" >/dev/null 2>"$T/err"
expect_status "queueing after space returns" 0 "$?"
P queue list >"$T/q" 2>&1
expect_status "the message is queued once" 1 "$(grep -c "full-$$" "$T/q")"
P queue cancel "$(P queue --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')" >/dev/null 2>&1

# Read-only store: refused in words, then works again.
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 5 >/dev/null 2>&1
mount -o remount,ro "$D"
timeout 120 "$petrel" -c "$T/config" sync b --folder "$F" >/dev/null 2>"$T/err"
rc=$?
ended "sync on a read-only store"
[ "$rc" != 0 ] && t_ok "sync on a read-only store fails (exit $rc)" || t_fail "sync on a read-only store reported success"
if grep -qiE "read-only" "$T/err"; then t_ok "says the store is read-only"; else
	t_fail "does not say read-only"; sed 's/^/    # /' "$T/err"; fi
mount -o remount,rw "$D"
timeout 300 "$petrel" -c "$T/config" sync b --folder "$F" >/dev/null 2>"$T/err"
expect_status "sync after the store is writable again" 0 "$?"
expect_status "every message of the folder is there" "$(server_count bob "$F")" "$(local_count b "$F")"
finish
