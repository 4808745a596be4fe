#!/usr/bin/env bash
# Keymaps and themes are data: a user keys file overrides the shipped
# keymap and its bad lines are reported with file and line (and skipped);
# the emacs keymap works (C-n, M->, C-x C-c); NO_COLOR and theme = mono
# draw without colours while the default theme has them.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config/petrel"
printf 'data-dir = %s/data\n[account local]\n' "$T" >"$T/config"
chmod 600 "$T/config"
python3 "$PETREL_SRC/tests/gen_mbox.py" 50 "$T/m.mbox"
"$petrel" -c "$T/config" import local INBOX "$T/m.mbox" >/dev/null 2>&1
cat >"$T/home/.config/petrel/keys" <<'KEYS'
# user overrides
index   x          index.last
index   j          none
index   w          no.such.action
nowhere q          app.quit
index   F99        index.next
index   z z        index.first
KEYS

# has_colour FILE: capture-pane -e output sets a foreground or background colour
has_colour() {
	grep -qE $'\e\\[([0-9;]*;)?(3[0-7]|38;5;[0-9]+|4[0-7]|48;5;[0-9]+)[;m]' "$1"
}

tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "the first bad line is reported with file and line" \
	"keys:4: unknown action 'no.such.action'; line skipped"
tui_keys x
tui_expect "a user binding works" "local/INBOX  50/50"
tui_keys z z
tui_expect "a user sequence works" "local/INBOX  1/50"
tui_keys j
tui_expect "none unbinds" "j is not bound here"
tui_keys Down
tui_expect "the rest of the shipped keymap stays" "local/INBOX  2/50"
tui_keys '?'
tui_expect "help lists every problem: unknown context" "keys:5: unknown context"
tui_expect "help lists every problem: unknown key" "keys:6: unknown key 'F99'"
tui_keys q
tui_tmux capture-pane -e -p >"$T/colour"
if has_colour "$T/colour"; then
	t_ok "the default theme uses colours"; else t_fail "no colours with the default theme"; fi
tui_keys q
tui_expect "q quits" "EXITED 0"

rm "$T/home/.config/petrel/keys"
tui_start 100 30 env NO_COLOR=1 "$petrel" -c "$T/config"
tui_expect "starts with NO_COLOR" "local/INBOX  1/50"
tui_tmux capture-pane -e -p >"$T/nocolour"
if ! has_colour "$T/nocolour" && grep -q $'\e\\[7m' "$T/nocolour"; then
	t_ok "NO_COLOR: reverse video, no colours"; else t_fail "NO_COLOR still coloured"
	cat -v "$T/nocolour" | head -3 | sed 's/^/    # /'; fi
tui_keys q
tui_expect "q quits" "EXITED 0"

printf 'data-dir = %s/data\nkeymap = emacs\ntheme = mono\n[account local]\n' "$T" >"$T/emacs.conf"
chmod 600 "$T/emacs.conf"
tui_start 100 30 "$petrel" -c "$T/emacs.conf"
tui_expect "emacs keymap loads" "local/INBOX  1/50"
tui_keys C-n C-n
tui_expect "C-n moves down" "local/INBOX  3/50"
tui_keys 'M->'
tui_expect "M-> goes to the end" "local/INBOX  50/50"
tui_keys 'M-<'
tui_expect "M-< goes to the top" "local/INBOX  1/50"
tui_tmux capture-pane -e -p >"$T/mono"
if ! has_colour "$T/mono"; then t_ok "theme = mono: no colours"
else t_fail "mono theme coloured"; fi
tui_keys C-x C-c
tui_expect "C-x C-c quits" "EXITED 0"
finish
