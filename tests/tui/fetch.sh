#!/usr/bin/env bash
# The pager fetching a body over a link that stops: it says it is fetching
# and how much came, Esc cancels the fetch (the pager says the body is not
# here, nothing hangs), and opening the message again once the link is back
# fetches it.  The stalled link is the fault proxy (tests/faultproxy.py)
# between petrel and Dovecot.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
need_servers
tui_setup
F=Fetch$$
mkdir -p "$T/home/.config"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$F" 3 >/dev/null 2>&1
python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_IMAPS_PORT" \
	--control-port 0 >"$T/proxy.out" 2>&1 &
proxy=$!
trap 'kill $proxy 2>/dev/null; tmux -L "$TUI_SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 50); do [ "$(wc -l <"$T/proxy.out")" -ge 2 ] && break; sleep 0.1; done
pport=$(awk '/^listening/{print $2}' "$T/proxy.out")
cport=$(awk '/^control/{print $2}' "$T/proxy.out")
control() { python3 -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1]))); s.sendall((sys.argv[2] + "\n").encode()); print(s.recv(200).decode().strip())' "$cport" "$1"; }
{ echo "data-dir = $T/data"; echo "[account srv]"; echo "email = alice@example.org"
  echo "imap = imaps://$PETREL_TEST_HOST:$pport"; echo "user = alice"
  echo "password-command = echo $PETREL_TEST_ALICE_PASS"
  echo "tls-ca-file = $PETREL_TEST_CA"; echo "prefetch = 0"; echo "timeout = 60s"
  echo "watch = no"; } >"$T/config"
chmod 600 "$T/config"
"$petrel" -c "$T/config" sync --folder "$F" >/dev/null 2>&1

tui_start 100 30 "$petrel" -c "$T/config"
tui_keys : "folders.open srv/$F" Enter
tui_expect "the folder opens, bodies not here" "srv/$F  1/3"
control stall >/dev/null
tui_keys Enter
tui_expect "opening: says it fetches, and how to stop" "(Esc cancels)"
tui_expect "opening: counts what came" "0 received" 5
tui_keys Escape
tui_expect "Esc: the fetch is cancelled" "Fetching cancelled"
tui_expect_not "Esc: no longer fetching" "fetching the body from the server"
control resume >/dev/null
tui_keys q Enter
tui_expect "opening again fetches the body" "Subject:" 10
for i in $(seq 1 100); do
	tui_screen >"$T/pager"
	grep -q "fetching the body\|not here\|not downloaded" "$T/pager" || break
	sleep 0.1
done
if ! grep -q "fetching the body\|not here\|not downloaded" "$T/pager"; then t_ok "the body came"
else t_fail "no body:"; sed 's/^/    # /' "$T/pager"; fi
tui_keys q q
tui_expect "quits" "EXITED 0"
finish
