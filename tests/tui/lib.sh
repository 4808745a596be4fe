# Helpers for the TUI tests: petrel runs inside a private tmux server of a
# fixed size; keys go in with send-keys and the screen comes back with
# capture-pane.  Sourced after tests/lib.sh.  Every test calls tui_setup,
# which kills its tmux server on exit whatever happens.

tui_need_tmux() {
	if ! command -v tmux >/dev/null; then
		echo "SKIP: tmux is not installed"
		exit 77
	fi
}

# tui_setup: a temp dir $T and a tmux socket of our own
tui_setup() {
	tui_need_tmux
	T=$(mktemp -d)
	TUI_SOCK=petrel-test-$$
	trap 'tmux -L "$TUI_SOCK" kill-server 2>/dev/null; [ -s "$T/stderr" ] && sed "s/^/    # stderr: /" "$T/stderr" | head -40; rm -rf "$T"' EXIT
}

# tui_start W H CMD...: runs CMD in a W x H pane (UTF-8, TERM from $TUI_TERM
# or tmux-256color); when CMD ends the pane shows "EXITED <status>".
tui_start() {
	local w=$1 h=$2; shift 2
	tmux -L "$TUI_SOCK" kill-server 2>/dev/null
	printf '%q ' "$@" >"$T/cmd"
	tmux -L "$TUI_SOCK" -f /dev/null new-session -d -x "$w" -y "$h" \
		"cd '$T' && env LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=${TUI_TERM:-tmux-256color} \
		 HOME='$T/home' XDG_CONFIG_HOME='$T/home/.config' $(cat "$T/cmd") 2>'$T/stderr'; \
		 echo EXITED \$?; sleep 600"
	tmux -L "$TUI_SOCK" set-option -g remain-on-exit on >/dev/null
}

tui_keys() { tmux -L "$TUI_SOCK" send-keys "$@"; }
tui_screen() { tmux -L "$TUI_SOCK" capture-pane -p; }
tui_tmux() { tmux -L "$TUI_SOCK" "$@"; }

# tui_wait TEXT [SECONDS]: until the screen shows TEXT (fixed string);
# 0 if it did, 1 on timeout.  The last screen is in $T/screen.
tui_wait() {
	local text=$1 limit=${2:-10} i=0
	while [ "$i" -lt $((limit * 20)) ]; do
		tui_screen >"$T/screen"
		grep -qF -- "$text" "$T/screen" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# tui_expect NAME TEXT [SECONDS]: a check that the screen comes to show TEXT
tui_expect() {
	if tui_wait "$2" "${3:-10}"; then t_ok "$1"; else
		t_fail "$1: expected '$2' on the screen:"; sed 's/^/    # /' "$T/screen"; fi
}
# tui_expect_not NAME TEXT: the screen (now, after a short settle) lacks TEXT
tui_expect_not() {
	sleep 0.3
	tui_screen >"$T/screen"
	if ! grep -qF -- "$2" "$T/screen"; then t_ok "$1"; else
		t_fail "$1: did not expect '$2' on the screen:"; sed 's/^/    # /' "$T/screen"; fi
}
# tui_line N: line N (1-based) of the screen
tui_line() { tui_screen | sed -n "${1}p"; }

# tui_imap_conf FILE PORT [LINE...]: a config of one IMAP account "srv"
# (alice on the test Dovecot at PORT, imaps), the store in $T/data, no
# prefetch, a 5 s timeout, then the extra LINEs (e.g. "watch = no")
tui_imap_conf() {
	local f=$1 port=$2; shift 2
	{ echo "data-dir = $T/data"; echo "[account srv]"; echo "email = alice@example.org"
	  echo "imap = imaps://$PETREL_TEST_HOST:$port"; echo "user = alice"
	  echo "password-command = echo $PETREL_TEST_ALICE_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "prefetch = 0"; echo "timeout = 5s"
	  printf '%s\n' "$@"; } >"$f"
	chmod 600 "$f"
}
