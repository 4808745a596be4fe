#!/usr/bin/env bash
# The terminal UI keeps an IMAP account connected (option watch, on by
# default): mail delivered over LMTP while the index is open appears by push;
# a flag change and a body fetch made meanwhile are not held up by the
# watch (they run inside it, on their own connection); quitting ends the
# watch at once.  With the server unreachable the UI still opens the cache,
# says offline on the status line and keeps a change for later.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
need_servers
tui_setup
F=Push$$
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
mkdir -p "$T/home/.config"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$F" 5 >/dev/null 2>&1
conf() { tui_imap_conf "$1" "$2" "idle-folders = $F"; }  # conf FILE PORT
conf "$T/config" "$PETREL_TEST_IMAPS_PORT"

tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "the watch syncs the idle folder at start" "$F" 60
tui_keys : "folders.open srv/$F" Enter
tui_expect "the folder opens with what the watch fetched" "srv/$F  1/5"
tui_expect "the status line says the account is watched" "watching"
tui_screen >"$T/s"
if grep -q "^srv  *live" "$T/s"; then t_ok "the sidebar marks the account live"
else t_fail "no live mark:"; sed 's/^/    # /' "$T/s"; fi

python3 - "alice+$F@example.org" "pushed-$$" <<'PY'
import email.utils, os, smtplib, sys
rcpt, subj = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("x@example.org", [rcpt], f"From: Pusher <x@example.org>\r\nSubject: {subj}\r\n"
               f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{subj}@push>\r\n\r\nbody of the pushed message\r\n")
PY
tui_expect "new mail appears by push while the index is open" "pushed-$$" 15
tui_expect "the count follows" "/6"

# a change while the watch idles: it reaches the server without a sync
tui_keys : index.first Enter
tui_keys F
for i in $(seq 1 100); do
	n=$($D search -u alice mailbox "$F" flagged 2>/dev/null | wc -l)
	[ "$n" = 1 ] && break
	sleep 0.1
done
if [ "$n" = 1 ]; then t_ok "a flag change reaches the server while watching"
else t_fail "the server has $n flagged messages in $F"; fi
if [ "$($D search -u alice mailbox "$F" header message-id "<pushed-$$@push>" flagged 2>/dev/null |
      wc -l)" = 1 ]; then t_ok "it is the pushed message that got the flag"
else t_fail "the flag went to another message"; fi

# a body fetch while the watch idles
tui_keys Enter
tui_expect "the body of the pushed message is fetched while watching" \
	"body of the pushed message" 15
tui_keys q q
tui_expect "quits at once with the watch running" "EXITED 0" 5
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi

# the server unreachable: the watch retries in the background
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf "$T/offline" "$port"
tui_start 100 30 "$petrel" -c "$T/offline"
tui_expect "offline: the cache opens" "srv/$F  1/6"
tui_expect "offline: the status line says so" "offline" 15
tui_keys F
tui_expect "offline: a change is kept for later at once" "the server gets it at the next sync" 10
tui_keys q q
tui_expect "offline: quits at once" "EXITED 0" 5
if [ ! -s "$T/stderr" ]; then t_ok "offline: nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
finish
