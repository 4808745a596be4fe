#!/usr/bin/env bash
# Hostile mail from tests/corpus, opened one after the other in the pager,
# never changes the terminal's state: the pane title stays, no OSC 52 ever
# reaches tmux's paste buffers, the screen keeps its layout, and escape
# sequences show as ^[ text.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config"
printf 'data-dir = %s/data\n[account local]\n' "$T" >"$T/config"
chmod 600 "$T/config"
"$petrel" -c "$T/config" import local Hostile "$PETREL_SRC/tests/corpus" >/dev/null 2>&1
n=$("$petrel" -c "$T/config" folders | awk -F'\t' '$2 == "Hostile" {print $3}')

tui_start 100 30 "$petrel" -c "$T/config"
tui_tmux set-option -g set-clipboard on >/dev/null
tui_tmux select-pane -T "petrel-test-title"
tui_expect "the hostile folder opens" "local/Hostile  1/$n"
tui_expect "escapes in subjects show as text" "^[]0;pwned title^G^[[2J^[[H"
tui_keys Enter
seen_esc=0
for i in $(seq 1 "$n"); do
	tui_wait "(" 5 >/dev/null   # the pager's status line: "subject  (NN%)"
	tui_screen >"$T/msg$i"
	grep -qF '^[' "$T/msg$i" && seen_esc=$((seen_esc + 1))
	# walk the whole message, then on to the next one
	tui_keys G
	sleep 0.1
	tui_screen >>"$T/msg$i"
	grep -qF '^[' "$T/msg$i" && seen_esc=$((seen_esc + 1))
	tui_keys J
	sleep 0.15
done
title=$(tui_tmux display -p '#{pane_title}')
if [ "$title" = "petrel-test-title" ]; then t_ok "pane title unchanged after $n messages"
else t_fail "pane title changed to '$title'"; fi
if [ -z "$(tui_tmux list-buffers 2>/dev/null)" ]; then t_ok "no paste buffer written (no OSC 52)"
else t_fail "paste buffers: $(tui_tmux list-buffers)"; fi
if [ "$seen_esc" -ge 4 ]; then t_ok "escape sequences visible as ^[ ($seen_esc screens)"
else t_fail "expected ^[ on the screens of the escape messages, saw $seen_esc"; fi
if [ "$(tui_tmux display -p '#{alternate_on}')" = 1 ]; then t_ok "still on petrel's screen"
else t_fail "the alternate screen was switched off"; fi
tui_keys q
tui_expect "back to the index, layout intact" "local/Hostile"
tui_screen >"$T/end"
if [ "$(sed -n 30p "$T/end")" = "" ] || grep -q "local/Hostile" "$T/end"; then
	t_ok "status line in place"; else t_fail "status line moved"; fi
tui_keys q
tui_expect "quits cleanly" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
finish
