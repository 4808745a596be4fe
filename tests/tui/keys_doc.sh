#!/usr/bin/env bash
# The KEYS section of petrel(1) is generated from the action table
# (ui/actions.c: name, context, help) and the default keymap
# (keymaps/default.keys), and this test checks it still matches both.
# After changing either, regenerate the section with
#   PETREL_SRC=. tests/tui/keys_doc.sh --print
# and paste it over the old one (from .SH KEYS to the next .SH).
set -u
. "${PETREL_SRC:?}/tests/lib.sh"
gen() {
	python3 - "$PETREL_SRC" <<'PY'
import re, sys
src = sys.argv[1]
text = open(src + "/ui/actions.c", encoding="utf-8").read()
actions = []
for m in re.finditer(r'\bA\(\s*"([^"]+)",\s*(\w+),\s*\w+,\s*(?:NULL|"[^"]*"),\s*((?:"[^"]*"\s*)+)\)', text):
    helptext = "".join(re.findall(r'"([^"]*)"', m.group(3)))
    actions.append((m.group(1), m.group(2), helptext))
keys = {}
for line in open(src + "/keymaps/default.keys", encoding="utf-8"):
    w = line.split()
    if not w or w[0].startswith("#"):
        continue
    keys.setdefault(w[-1], []).append(" ".join(w[1:-1]))
def esc(s):
    return s.replace("\\", "\\e").replace("-", "\\-")
titles = [("GLOBAL", "Everywhere"), ("FOLDERS", "Folder sidebar"), ("INDEX", "Message list"),
          ("PAGER", "Pager"), ("ATTACH", "Attachment list"), ("URLS", "Link list"),
          ("COMPOSE", "Compose (the review screen after the editor)"), ("QUEUE", "Send queue"),
          ("HELP", "Help screen")]
missing = {c for _, c, _ in actions} - {c for c, _ in titles}
if missing:
    sys.exit("keys_doc.sh: no title for the contexts " + ", ".join(sorted(missing)))
print(".SH KEYS")
print("These are the keys of the default keymap; the help screen")
print(".RB ( ? )")
print("lists the keys actually loaded.")
print("Each key runs a named action, which")
print(".B :")
print("also runs by name.")
print("A number typed first is a count:")
print(".B 5j")
print("moves five messages down,")
print(".B 120G")
print("goes to message 120.")
for ctx, title in titles:
    print(".SS " + title)
    for name, c, helptext in actions:
        if c != ctx:
            continue
        print(".TP")
        print(".B " + esc(", ".join(keys.get(name, [])) or "(none)"))
        print(esc(helptext) + ".")
        print(".RB ( " + esc(name) + " )")
PY
}
if [ "${1:-}" = --print ]; then gen; exit 0; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
gen >"$T/want"
awk '/^\.SH KEYS/{on=1} on && /^\.SH/ && !/^\.SH KEYS/{on=0} on' "$PETREL_SRC/doc/petrel.1" >"$T/have"
if [ "$(grep -c '^\.TP' "$T/want")" -ge 40 ]; then t_ok "the generator found the action table"
else t_fail "the generator found only $(grep -c '^\.TP' "$T/want") actions"; fi
if diff -u "$T/have" "$T/want" >"$T/diff"; then
	t_ok "petrel.1 KEYS matches the action table and keymaps/default.keys"
else
	t_fail "petrel.1 KEYS is out of date (- man page, + generated); regenerate with --print:"
	sed 's/^/    # /' "$T/diff" | head -40
fi
finish
