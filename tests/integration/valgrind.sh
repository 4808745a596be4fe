#!/usr/bin/env bash
# valgrind on petrel's main paths: an IMAP sync, a POP3 drain, a send, and
# the TUI opened (with its background sync) and quit.  No invalid access, no
# use of uninitialised memory, no definite or indirect leak
# (tests/valgrind.supp holds the libraries' own, each commented).  Only in a
# build without sanitizers (valgrind cannot run ASan binaries).
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
if ! command -v valgrind >/dev/null; then
	echo "SKIP: valgrind is not installed"
	exit 77
fi
if ldd "$petrel" | grep -q 'libasan\|libubsan'; then
	echo "SKIP: a sanitizer build (valgrind runs the plain one)"
	exit 77
fi
T=$(mktemp -d)
TUI_SOCK=petrel-vg-$$
trap 'tmux -L "$TUI_SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT
F=Vg$$
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 30 >/dev/null 2>&1
doveadm -c "$PETREL_TEST_DOVECOT_CONF" expunge -u carol mailbox INBOX all >/dev/null 2>&1
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" carol INBOX 10 >/dev/null 2>&1

cat >"$T/config" <<CONF
data-dir = $T/data
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
CONF
chmod 600 "$T/config"
vg=(valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect
    --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --suppressions="$PETREL_SRC/tests/valgrind.supp" --num-callers=30)

check() {  # check NAME LOG RC
	if [ "$3" != 99 ] && ! grep -q "definitely lost\|Invalid \|uninitialised" "$2"; then
		t_ok "$1: valgrind clean (exit $3)"
	else
		t_fail "$1: valgrind found problems (exit $3)"; head -60 "$2" | sed 's/^/    # /'
	fi
}

"${vg[@]}" --log-file="$T/vg-sync" "$petrel" -c "$T/config" sync b --folder "$F" >/dev/null 2>"$T/err"
check "IMAP sync" "$T/vg-sync" $?
expect_status "the sync stored the folder" 30 \
	"$("$petrel" -c "$T/config" list --account b --folder "$F" --limit 0 | wc -l)"

"${vg[@]}" --log-file="$T/vg-pop3" "$petrel" -c "$T/config" sync p >/dev/null 2>"$T/err"
check "POP3 drain" "$T/vg-pop3" $?
expect_status "the drain stored the messages" 10 \
	"$("$petrel" -c "$T/config" list --account p --limit 0 | wc -l)"

printf 'From: bob@example.org\nTo: alice@example.org\nSubject: vg-%s\n\nhello\n' $$ >"$T/msg.eml"
"${vg[@]}" --log-file="$T/vg-send" "$petrel" -c "$T/config" send --account b "$T/msg.eml" >/dev/null 2>"$T/err"
check "send" "$T/vg-send" $?

if command -v tmux >/dev/null; then
	printf '%q ' "${vg[@]}" --log-file="$T/vg-tui" "$petrel" -c "$T/config" >"$T/cmd"
	tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x 100 -y 30 \
		"cd '$T' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=tmux-256color HOME='$T' \
		 $(cat "$T/cmd") 2>'$T/stderr'; echo EXITED \$?; sleep 600"
	shown=
	for _ in $(seq 600); do
		tmux -L "$TUI_SOCK" capture-pane -p >"$T/screen" 2>/dev/null
		grep -qF "$F" "$T/screen" && { shown=1; break; }
		sleep 0.1
	done
	if [ -n "$shown" ]; then t_ok "TUI: the index is drawn under valgrind"; else
		t_fail "TUI: nothing drawn"; sed 's/^/    # /' "$T/screen"; fi
	sleep 2
	tmux -L "$TUI_SOCK" send-keys q
	rc=
	for _ in $(seq 600); do
		tmux -L "$TUI_SOCK" capture-pane -p >"$T/screen" 2>/dev/null
		rc=$(sed -n 's/^EXITED \([0-9]*\).*/\1/p' "$T/screen")
		[ -n "$rc" ] && break
		sleep 0.1
	done
	check "TUI open and quit" "$T/vg-tui" "${rc:-none}"
	expect_status "TUI: quits (its watch and the POP3 account's, on one store, end)" 0 \
		"${rc:-none (still running after 60 s)}"
else
	echo "# tmux missing: TUI not checked"
fi
finish
