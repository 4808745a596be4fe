#!/usr/bin/env bash
# Terminal safety end to end (doc/SECURITY.md): every message of tests/corpus
# (and ../shared/corpus when it is there) imported into a local account, then
# everything the CLI prints about them -- list, list --json, search, show and
# show --headers all of each -- scanned: no byte below 0x20 but newline and
# tab, no DEL, no C1 control (U+0080..U+009F), no ESC, no bidi control, and
# valid UTF-8.  show --raw prints the stored bytes for a pipe and refuses a
# terminal: checked under script(1).  No servers needed.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'data-dir = %s/data\n[account t]\n' "$T" >"$T/config"
chmod 600 "$T/config"
p() { "$petrel" -c "$T/config" "$@"; }

mkdir "$T/msgs"
n=0
for dir in "$PETREL_SRC/tests/corpus" "$PETREL_SRC/../shared/corpus"; do
	[ -d "$dir" ] || continue
	for f in "$dir"/*.eml; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		cp "$f" "$T/msgs/$n.eml"
	done
done
# some corpus files are not mail at all (no header): import skips them, says
# so, and exits 1; everything it did import must be listed and shown
p import t INBOX "$T/msgs" >"$T/import.out" 2>"$T/import.err"
imported=$(sed -n 's/.*imported \([0-9]*\),.*/\1/p' "$T/import.out")
if [ "${imported:-0}" -gt 0 ]; then t_ok "import of $n corpus files: $imported messages"
else t_fail "import of the corpus:"; sed 's/^/    # /' "$T/import.out" "$T/import.err"; fi
skipped=$(grep -c 'skipped' "$T/import.err")
[ $((imported + skipped)) -le "$n" ] && t_ok "import accounts for every file it skipped" ||
	t_fail "import: $imported imported, $skipped skipped, $n files"
n=$imported

# scan FILE...: prints what is unsafe for a terminal, with the file and offset
scan() {
	python3 - "$@" <<'PY'
import sys
bad = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print(f"{path}: invalid UTF-8 at byte {e.start}"); bad += 1; continue
    for i, ch in enumerate(text):
        c = ord(ch)
        if (c < 0x20 and ch not in "\n\t") or c == 0x7f or 0x80 <= c <= 0x9f or \
           0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069 or c in (0x200e, 0x200f, 0x61c):
            print(f"{path}: U+{c:04X} at character {i}: {text[max(0, i - 30):i]!r}")
            bad += 1
            break
sys.exit(1 if bad else 0)
PY
}

p list --limit 0 >"$T/list.out" 2>"$T/list.err"
expect_status "list" 0 "$?"
lines=$(wc -l <"$T/list.out")
expect_status "list shows every corpus message" "$n" "$lines"
p list --limit 0 --json >"$T/list.json" 2>>"$T/list.err"
p search '*' --limit 0 >"$T/search.out" 2>"$T/search.err"
expect_status "search" 0 "$?"
ids=$(python3 -c 'import json,sys; [print(m["id"]) for m in json.load(open(sys.argv[1]))]' \
	"$T/list.json")
shown=0 failed=0
for id in $ids; do
	shown=$((shown + 1))
	p show "$id" >"$T/show.$shown.out" 2>"$T/show.$shown.err" || failed=$((failed + 1))
	p show "$id" --headers all >"$T/all.$shown.out" 2>"$T/all.$shown.err" ||
		failed=$((failed + 1))
done
expect_status "show and show --headers all of every message succeed" 0 "$failed"
expect_status "every message shown" "$n" "$shown"
if out=$(scan "$T"/*.out "$T"/*.err "$T/list.json"); then
	t_ok "nothing unsafe for a terminal in $(ls "$T"/*.out "$T"/*.err | wc -l) outputs"
else
	t_fail "unsafe output:"; echo "$out" | sed 's/^/    # /'
fi

# show --raw: exact bytes into a pipe, refused on a terminal
first=$(echo "$ids" | head -n 1)
p show "$first" --raw >"$T/raw" 2>/dev/null
[ -s "$T/raw" ] && t_ok "show --raw prints into a pipe" || t_fail "show --raw prints into a pipe"
if command -v script >/dev/null; then
	esc_id=$(python3 -c '
import json, sys
for m in json.load(open(sys.argv[1])):
    if "esc" in m.get("subject", "").lower() or "^[" in m.get("subject", ""): print(m["id"]); break
' "$T/list.json")
	[ -n "$esc_id" ] || esc_id=$first
	script -qec "$petrel -c $T/config show $esc_id --raw" /dev/null >"$T/rawtty" 2>&1
	if grep -q $'\e' "$T/rawtty"; then t_fail "show --raw on a terminal let ESC through"
	else t_ok "show --raw on a terminal prints no ESC"; fi
	expect_contains "show --raw refuses a terminal" "$T/rawtty" "--raw"
fi
finish
