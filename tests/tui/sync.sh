#!/usr/bin/env bash
# The terminal UI against the real servers: an IMAP account starts with an
# empty store, $ syncs it in the background and rows appear; a message whose
# body was not fetched shows "fetching" and then its body; with the server
# unreachable the pager says the body is not downloaded, and why.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
need_servers
tui_setup
F=Tui$$
mkdir -p "$T/home/.config"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$F" 40 >/dev/null 2>&1
conf() { tui_imap_conf "$1" "$2" "watch = no"; }  # conf FILE PORT
conf "$T/config" "$PETREL_TEST_IMAPS_PORT"

tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "starts on an empty store" "0 in 0 out"
tui_keys '$'
tui_expect "\$ syncs in the background" "syncing srv"
tui_expect "the sync finishes" "synced" 60
tui_expect "folders appear in the sidebar" "$F"
tui_expect "INBOX opens by itself" "srv/INBOX"
tui_keys : "folders.open srv/$F" Enter
tui_expect "rows of the synced folder appear" "srv/$F  1/40"
tui_screen >"$T/index"
if grep -q '^.\{24\}│..~' "$T/index" || grep -q '~ ' "$T/index"; then t_ok "bodies not local are marked ~"
else t_fail "no ~ marker:"; sed 's/^/    # /' "$T/index"; fi
if grep -qE '[1-9][0-9.]*[KM]? in [0-9.]+[KM]? out' "$T/index"; then t_ok "bytes moved on the status line"
else t_fail "no byte count on the status line"; fi
tui_keys Enter
tui_expect "opening fetches the body" "Subject:"
if tui_wait "fetching the body" 1; then t_ok "says fetching while it fetches"
else t_ok "body arrived before the first look (fetching note gone already)"; fi
for i in $(seq 1 100); do
	tui_screen >"$T/pager"
	grep -q "fetching the body" "$T/pager" || break
	sleep 0.1
done
if ! grep -q "fetching the body\|not downloaded" "$T/pager"; then t_ok "the body replaced the note"
else t_fail "body did not arrive:"; sed 's/^/    # /' "$T/pager"; fi
tui_keys q
# a message in a folder made after the sync: only the server has it
G=TuiNew$$
doveadm -c "$PETREL_TEST_DOVECOT_CONF" mailbox create -u alice "$G"
python3 - "alice+$G@example.org" "needle$$" <<'PY'
import email.utils, os, smtplib, sys
rcpt, w = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("x@example.org", [rcpt], f"From: Finder <x@example.org>\r\nSubject: the {w}\r\n"
               f"Date: {email.utils.formatdate()}\r\nMessage-ID: <{w}@t>\r\n\r\nfound it\r\n")
PY
tui_keys / "needle$$" Enter
tui_expect "/ finds nothing here and offers the server" "M-s asks the server"
tui_keys M-s Enter
tui_expect "M-s: the server finds it" "1 message found on the server" 30
tui_expect "M-s: listed with its subject" "the needle$$"
tui_keys Enter
tui_expect "M-s: its body comes when opened" "found it" 30
tui_keys q q
tui_expect "quits" "EXITED 0"

# the server unreachable: a port nobody listens on
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf "$T/offline" "$port"
tui_start 100 30 "$petrel" -c "$T/offline"
tui_expect "offline: the cache still opens" "srv/INBOX"
tui_keys : "folders.open srv/$F" Enter
tui_expect "offline: rows are there" "srv/$F  1/40"
tui_keys j Enter
tui_expect "offline: the pager says the body is not downloaded and why" \
	"The body of this message is not downloaded:" 30
tui_keys q q
tui_expect "quits" "EXITED 0"
finish
