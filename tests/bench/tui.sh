#!/usr/bin/env bash
# Benchmark of the terminal UI on big cached folders (no network):
#  1. start-up to the first drawn index of a 50,000-message folder
#     (target < 150 ms; median of 5 starts),
#  2. key press to redrawn screen while a bulk import writes to the same
#     store (target < 20 ms at the median; 300 presses of j, k, Space, -),
#  3. peak memory with a 100,000-message folder open and scrolled through
#     (target < 60 MB; VmHWM of the process).
# Times come from PETREL_TUI_TRACE, which the UI appends "first-draw MS" and
# "key MS" lines to.  usage: tests/bench/tui.sh [N50] [N100]; PETREL_BENCH_DATA50
# and PETREL_BENCH_DATA100 reuse configs of stores made before.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
petrel=${PETREL:-$here/build/petrel}
n50=${1:-50000}
n100=${2:-100000}
T=$(mktemp -d)
SOCK=petrel-bench-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT

store() {  # store N -> prints the path of a config of an N-message store
	local n=$1
	printf 'data-dir = %s/data%s\n[account bench]\n' "$T" "$n" >"$T/c$n"
	chmod 600 "$T/c$n"
	python3 "$here/tests/gen_mbox.py" "$n" "$T/in$n.mbox"
	"$petrel" -c "$T/c$n" import bench INBOX "$T/in$n.mbox" >/dev/null
	rm -f "$T/in$n.mbox"
	echo "$T/c$n"
}
c50=${PETREL_BENCH_DATA50:-}
c100=${PETREL_BENCH_DATA100:-}
[ -n "$c50" ] || c50=$(store "$n50")
[ -n "$c100" ] || c100=$(store "$n100")

start() {  # start CONFIG TRACE [ENV...]
	local conf=$1 trace=$2; shift 2
	tmux -L "$SOCK" kill-server 2>/dev/null || true
	# kill-server returns before the old server is gone; a new session
	# made meanwhile can meet it dying ("server exited unexpectedly")
	for _ in $(seq 1 100); do tmux -L "$SOCK" has-session 2>/dev/null || break; sleep 0.05; done
	sleep 0.2
	tmux -L "$SOCK" -f /dev/null new-session -d -x 120 -y 40 \
		"env LANG=C.UTF-8 TERM=tmux-256color PETREL_TUI_TRACE=$trace $* $petrel -c $conf; sleep 60"
}
wait_for() {  # wait_for FILE PATTERN
	for _ in $(seq 1 400); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.025; done
	echo "timeout waiting for $2 in $1" >&2; return 1
}
median() { sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "?"}'; }
pid_of_petrel() { pgrep -P "$(tmux -L "$SOCK" display -p '#{pane_pid}')" -x petrel; }

: >"$T/first"
for i in 1 2 3 4 5; do
	start "$c50" "$T/t$i"
	wait_for "$T/t$i" first-draw
	awk '/^first-draw/ {print $2}' "$T/t$i" >>"$T/first"
	tmux -L "$SOCK" send-keys q
	sleep 0.2
done
echo "first drawn index, $(grep -c . "$T/first") starts of a $n50-message folder: median $(median <"$T/first") ms (target < 150)"

# a bulk writer on the same store while keys are pressed
python3 "$here/tests/gen_mbox.py" 20000 "$T/bulk.mbox" --seed 7
start "$c50" "$T/keys"
wait_for "$T/keys" first-draw
"$petrel" -c "$c50" import bench Bulk "$T/bulk.mbox" >/dev/null 2>&1 &
bulk=$!
sleep 0.5
for i in $(seq 1 75); do
	for k in j Space k -; do tmux -L "$SOCK" send-keys "$k"; sleep 0.02; done
done
kill "$bulk" 2>/dev/null || true
wait "$bulk" 2>/dev/null || true
awk '/^key/ {print $2}' "$T/keys" | median >"$T/keymed"
echo "key press to redraw, $(grep -c '^key' "$T/keys") keys during a bulk import: median $(cat "$T/keymed") ms (target < 20)"
tmux -L "$SOCK" send-keys q

start "$c100" "$T/big"
wait_for "$T/big" first-draw
for k in G g g; do tmux -L "$SOCK" send-keys "$k"; sleep 0.3; done
for _ in $(seq 1 200); do tmux -L "$SOCK" send-keys Space; sleep 0.01; done
for _ in $(seq 1 100); do tmux -L "$SOCK" send-keys -; sleep 0.01; done
tmux -L "$SOCK" send-keys G; sleep 0.5
pid=$(pid_of_petrel)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
echo "peak memory with a $n100-message folder open and paged through: $((hwm / 1024)) MB (target < 60)"
echo "first drawn index of the $n100-message folder: $(awk '/^first-draw/ {print $2}' "$T/big") ms"
tmux -L "$SOCK" send-keys q
