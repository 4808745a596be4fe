#!/usr/bin/env bash
# Terminal safety of the TUI end to end: every message of tests/corpus (and
# ../shared/corpus when it is there) opened in the pager and read to its end,
# while tmux pipe-pane records every byte petrel writes to the terminal.  The
# recording may hold only what ncurses emits for drawing: CSI sequences and
# the few two-byte escapes of terminfo (charset, keypad, save/restore).  No
# OSC (titles, clipboard, hyperlinks, colours), DCS, APC, PM or SOS, no C1
# control characters, no bidi controls, and valid UTF-8.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config" "$T/msgs"
printf 'data-dir = %s/data\n[account local]\n' "$T" >"$T/config"
chmod 600 "$T/config"
i=0
for dir in "$PETREL_SRC/tests/corpus" "$PETREL_SRC/../shared/corpus"; do
	[ -d "$dir" ] || continue
	for f in "$dir"/*.eml; do
		[ -f "$f" ] && cp "$f" "$T/msgs/$((i += 1)).eml"
	done
done
"$petrel" -c "$T/config" import local Corpus "$T/msgs" >/dev/null 2>&1
n=$("$petrel" -c "$T/config" folders | awk -F'\t' '$2 == "Corpus" {print $3}')
[ "${n:-0}" -gt 0 ] && t_ok "$n corpus messages in the store" || t_fail "import of the corpus"

# petrel starts a moment after the pane, so the recording sees its first byte
tui_start 100 30 sh -c 'sleep 1; exec "$0" "$@"' "$petrel" -c "$T/config"
tui_tmux pipe-pane -o "cat >>'$T/raw'"
tui_expect "the corpus folder opens" "local/Corpus  1/$n" 15
tui_keys Enter
for _ in $(seq 1 "$n"); do
	tui_wait "(" 5 >/dev/null   # the pager's status line: "subject  (NN%)"
	tui_keys G
	sleep 0.05
	tui_keys J
	sleep 0.1
done
tui_keys q
tui_wait "local/Corpus" 5 >/dev/null
tui_keys q
tui_expect "quits cleanly after $n messages" "EXITED 0" 15
tui_tmux pipe-pane   # stop recording

size=$(stat -c %s "$T/raw" 2>/dev/null || echo 0)
# a sanity check that recording worked: each message opened draws a screen
# (about 430 bytes each with tests/corpus alone, 1.9 KB with the shared corpus)
[ "$size" -gt $((2000 + n * 100)) ] && t_ok "recorded $size bytes of terminal output" ||
	t_fail "recorded only $size bytes of terminal output"
if out=$(python3 - "$T/raw" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
# the shell's "EXITED 0" line comes after petrel: cut there
end = data.rfind(b"EXITED")
if end > 0:
    data = data[:end]
problems = []
try:
    text = data.decode("utf-8")
except UnicodeDecodeError as e:
    problems.append(f"invalid UTF-8 at byte {e.start}: {data[max(0, e.start - 20):e.start + 4]!r}")
    text = data.decode("utf-8", "replace")
csi = re.compile(r"\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]")
two = re.compile(r"\x1b[()*+][0-9A-Za-z]|\x1b[78=>MDEc]")
i = 0
counts = {"csi": 0, "esc2": 0}
while i < len(text):
    ch = text[i]
    c = ord(ch)
    if ch == "\x1b":
        m = csi.match(text, i)
        if m:
            counts["csi"] += 1; i = m.end(); continue
        m = two.match(text, i)
        if m:
            counts["esc2"] += 1; i = m.end(); continue
        kind = {"]": "OSC", "P": "DCS", "_": "APC", "^": "PM", "X": "SOS"}.get(text[i + 1:i + 2], "unknown escape")
        problems.append(f"{kind} at character {i}: {text[i:i + 24]!r}")
        i += 1; continue
    if 0x80 <= c <= 0x9f:
        problems.append(f"C1 control U+{c:04X} at character {i}: {text[max(0, i - 20):i + 4]!r}")
    elif 0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069 or c in (0x200e, 0x200f, 0x61c):
        problems.append(f"bidi control U+{c:04X} at character {i}")
    elif c < 0x20 and ch not in "\r\n\b\t\x07\x0e\x0f":
        problems.append(f"control U+{c:04X} at character {i}")
    i += 1
for p in problems[:20]:
    print(p)
print(f"{counts['csi']} CSI sequences, {counts['esc2']} short escapes, {len(problems)} problems")
sys.exit(1 if problems else 0)
PY
); then
	t_ok "only drawing sequences reached the terminal ($(echo "$out" | tail -n 1))"
else
	t_fail "unsafe terminal output:"; echo "$out" | sed 's/^/    # /'
fi
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
finish
