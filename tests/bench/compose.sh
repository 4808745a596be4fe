#!/usr/bin/env bash
# Benchmark of writing mail: petrel compose --print with a large attachment
# (base64 through libetpan's writer) and a long non-ASCII text (petrel's
# quoted-printable), and petrel reply --print of a large stored message
# (parse, render, quote).  The editor is a script that adds one line, so the
# figures are petrel's own work plus one process start.  Median of several
# runs, ms.  usage: tests/bench/compose.sh [ATTACHMENT-MB] (default 20)
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
petrel=${PETREL:-$here/build/petrel}
mb=${1:-20}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T
printf 'data-dir = %s/data\n[account bench]\nemail = me@example.org\n' "$T" >"$T/config"
chmod 600 "$T/config"
printf '#!/bin/sh\nprintf "To: a@example.com\\n" | cat - "$1" > "$1.new" && mv "$1.new" "$1"\n' >"$T/ed"
chmod +x "$T/ed"
export EDITOR=$T/ed VISUAL=

head -c $((mb << 20)) /dev/urandom >"$T/big.bin"
python3 - "$T/text" <<'PY'
import sys
line = "Grüße aus Köln, ein Absatz mit Umlauten und einer langen Zeile " * 3 + "\n"
open(sys.argv[1], "w", encoding="utf-8").write(line * 20000)  # ~4 MB
PY
{ printf 'From: A <a@example.com>\nTo: me@example.org\nSubject: long\nMessage-ID: <long@example.com>\n'
  printf 'Content-Type: text/plain; charset=utf-8\n\n'; cat "$T/text"; } >"$T/long.eml"
"$petrel" -c "$T/config" import bench INBOX "$T/long.eml" >/dev/null
# the text goes in through a draft file given to the editor as is
printf '#!/bin/sh\n{ printf "To: a@example.com\\nSubject: x\\n\\n"; cat %s; } > "$1"\n' "$T/text" >"$T/ed-text"
chmod +x "$T/ed-text"

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
print(f"{statistics.median(ts):.0f}")
PY
}
p="$petrel -c $T/config"
echo "compose --print, ${mb} MB attachment: $(median_ms 5 $p compose --attach "$T/big.bin" --print) ms"
echo "compose --print, 4 MB of UTF-8 text (quoted-printable): $(EDITOR=$T/ed-text median_ms 5 $p compose --print) ms"
echo "reply --print to a 4 MB message: $(median_ms 5 $p reply --print id:long@example.com) ms"
