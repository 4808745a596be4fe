#!/usr/bin/env bash
# Benchmark of the TUI's write actions on a big cached folder (no network):
#  1. key press to redrawn screen for F (flag) and N (read) toggles, drawn
#     over the rows before the engine has written anything (median),
#  2. how long until the store holds the last of a burst of changes (the
#     engine thread applying them one command each).
# Times of 1 come from PETREL_TUI_TRACE ("key MS" lines).
# usage: tests/bench/tui_changes.sh [N]; PETREL_BENCH_DATA50 reuses a config.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
petrel=${PETREL:-$here/build/petrel}
n=${1:-50000}
T=$(mktemp -d)
SOCK=petrel-bench-chg-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT

conf=${PETREL_BENCH_DATA50:-}
if [ -z "$conf" ]; then
	printf 'data-dir = %s/data\n[account bench]\n' "$T" >"$T/c"
	chmod 600 "$T/c"
	python3 "$here/tests/gen_mbox.py" "$n" "$T/in.mbox"
	"$petrel" -c "$T/c" import bench INBOX "$T/in.mbox" >/dev/null
	rm -f "$T/in.mbox"
	conf=$T/c
fi
wait_for() {  # wait_for FILE PATTERN
	for _ in $(seq 1 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
	echo "timeout waiting for $2 in $1" >&2; return 1
}
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "?"}'; }

# row 20's flag before: F toggles it (a reused store may have it set already)
had_f=$("$petrel" -c "$conf" list --folder INBOX --limit 20 | tail -1 | cut -f5 | grep -c F || true)
tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 \
	"env LANG=C.UTF-8 TERM=tmux-256color PETREL_TUI_TRACE=$T/trace $petrel -c $conf; sleep 60"
wait_for "$T/trace" first-draw
: >"$T/trace"
# 20 rows, each flagged and then marked read/unread: 60 changes
for i in $(seq 1 20); do
	for k in F N N j; do tmux -L "$SOCK" send-keys "$k"; sleep 0.03; done
done
t0=$(date +%s.%N)
for _ in $(seq 1 600); do
	now_f=$("$petrel" -c "$conf" list --folder INBOX --limit 20 | tail -1 | cut -f5 | grep -c F || true)
	[ "$now_f" != "$had_f" ] && break
	sleep 0.05
done
t1=$(date +%s.%N)
echo "key press to redraw for F/N on a $n-message folder: median $(awk '/^key/ {print $2}' "$T/trace" | median) ms over $(grep -c '^key' "$T/trace") keys"
echo "the last of 60 changes was in the store $(echo "$t1 - $t0" | bc) s after the last key"
tmux -L "$SOCK" send-keys q
