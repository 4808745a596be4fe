#!/usr/bin/env bash
# Benchmark of the offline store: petrel import of N generated messages
# (messages/s), then petrel list --limit 50 and petrel search over that store
# (median of several runs, ms).  Targets (issue: store): list < 50 ms,
# search < 200 ms.  usage: tests/bench/store.sh [N] (default 100000)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
petrel=${PETREL:-$here/build/petrel}
n=${1:-100000}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'data-dir = %s/data\n[account bench]\n' "$T" >"$T/config"
chmod 600 "$T/config"

python3 "$here/tests/gen_mbox.py" "$n" "$T/in.mbox"
start=$(date +%s.%N)
"$petrel" -c "$T/config" import bench INBOX "$T/in.mbox" >/dev/null
end=$(date +%s.%N)
python3 -c "import sys; n=$n; t=$end-$start; print(f'import: {n} messages in {t:.1f} s = {n/t:.0f} messages/s')"

median_ms() {  # median_ms RUNS CMD...: median wall time of CMD in ms
	local runs=$1; shift
	python3 - "$runs" "$@" <<'PY'
import statistics, subprocess, sys, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
ts = []
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ts.append((time.perf_counter() - t) * 1000)
print(f"{statistics.median(ts):.1f} ms (min {min(ts):.1f}, max {max(ts):.1f}, {runs} runs)")
PY
}
"$petrel" -c "$T/config" list --limit 50 >/dev/null  # warm the page cache
echo "list --limit 50: $(median_ms 9 "$petrel" -c "$T/config" list --limit 50)"
echo "list --limit 50 --json: $(median_ms 9 "$petrel" -c "$T/config" list --limit 50 --json)"
echo "search 'from:grace and subject:kernel' --limit 50: $(median_ms 9 "$petrel" -c "$T/config" search 'from:grace and subject:kernel' --limit 50)"
echo "search 'latency' (body words) --limit 50: $(median_ms 9 "$petrel" -c "$T/config" search latency --limit 50)"
echo "folders: $(median_ms 9 "$petrel" -c "$T/config" folders)"
du -sh "$T/data" | awk '{print "store size: " $1}'
