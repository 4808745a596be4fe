#!/usr/bin/env bash
# The terminal UI as a person uses it, on a store made with petrel import
# (no servers): open a folder, move, read a message, list and save an
# attachment, search, limit, help, the command line, the sidebar, counts and
# sequences, wide characters, resizing down to a tiny window, and quitting
# with the terminal restored.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config" "$T/save"
printf 'data-dir = %s/data\n[account local]\n' "$T" >"$T/config"
chmod 600 "$T/config"
python3 "$PETREL_SRC/tests/gen_mbox.py" 300 "$T/old.mbox"
python3 "$PETREL_SRC/tests/tui/mkmail.py" "$T/new"
"$petrel" -c "$T/config" import local INBOX "$T/old.mbox" >/dev/null 2>&1
"$petrel" -c "$T/config" import local INBOX "$T/new" >/dev/null 2>&1
"$petrel" -c "$T/config" import local Corpus "$PETREL_SRC/tests/corpus" >/dev/null 2>&1

tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "starts on INBOX, newest first" "Newest one with a report"
tui_expect "status line names the folder and the position" "local/INBOX  1/303"
tui_expect "sidebar lists the folders" "Corpus"
tui_screen >"$T/first"
expect_contains "the sidebar shows INBOX" "$T/first" "INBOX"

# wide characters keep the columns aligned: every index row ends at column 100
python3 - "$T/first" <<'PY' >"$T/widths"
import sys, unicodedata
for line in open(sys.argv[1], encoding="utf-8").read().split("\n")[:5]:
    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line.rstrip())
    print(w)
PY
if [ "$(sort -u "$T/widths" | wc -l)" = 1 ]; then t_ok "wide characters keep the columns aligned"
else t_fail "rows have different widths: $(tr '\n' ' ' <"$T/widths")"; sed 's/^/    # /' "$T/first"; fi
expect_contains "CJK subject shown" "$T/first" "会議の資料 wide"

tui_keys j
tui_expect "j moves down" "local/INBOX  2/303"
tui_keys k Enter
tui_expect "Enter opens the message" "Here is the report you asked for."
tui_expect "headers shown" "From: Ada Lovelace <ada@example.org>"
tui_keys v
tui_expect "attachment list" "report.pdf"
tui_keys s C-u "$T/save" Enter
tui_expect "attachment saved" "saved $T/save/report.pdf"
if [ "$(cat "$T/save/report.pdf" 2>/dev/null)" = "%PDF-1.4 petrel test report" ]; then
	t_ok "saved file holds the decoded part"; else t_fail "saved file wrong or missing"; fi
echo "mine" >"$T/save/report.pdf"
tui_keys s C-u "$T/save" Enter
tui_expect "asks before overwriting" "report.pdf exists; overwrite it? (y/n)"
tui_keys n
tui_expect "no means not saved" "not saved"
if [ "$(cat "$T/save/report.pdf")" = "mine" ]; then t_ok "existing file left alone"
else t_fail "existing file was overwritten"; fi
tui_keys q
tui_expect "back to the pager" "Here is the report you asked for."
tui_keys J
tui_expect "J: next message without leaving the pager" "日本語の本文です。"
tui_keys J
tui_expect "quoted text shown" ">> Only after the tests pass."
tui_keys K K
tui_expect "K: previous message" "Here is the report you asked for."
tui_keys q
tui_expect "q leaves the pager" "local/INBOX  1/303"

tui_keys / "subject:quoted" Enter
tui_expect "/ searches (notmuch syntax)" "local/INBOX  3/303"
tui_keys / "subject:nosuchwordanywhere" Enter
tui_expect "a search without a match says so" "no match below the cursor"
tui_keys l "from:ada or from:grace" Enter
tui_expect "l limits the list" "[limit: from:ada or from:grace]"
tui_screen >"$T/limited"
expect_not_contains "limit hides the others" "$T/limited" "会議の資料"
tui_keys l C-u Enter
tui_expect "an empty limit shows all" "/303,"

tui_keys G
tui_expect "G: the oldest message" "local/INBOX  303/303"
tui_keys g g
tui_expect "g g: the newest" "local/INBOX  1/303"
tui_keys 5 j
tui_expect "5j: a count" "local/INBOX  6/303"
tui_keys 1 2 0 G
tui_expect "120G: message 120" "local/INBOX  120/303"
tui_keys g g

tui_keys '?'
tui_expect "? shows the help" "index.next"
tui_expect "help lines come from the action table" "next message"
tui_keys q
tui_expect "q closes the help" "local/INBOX  1/303"

tui_keys : "index.se" Tab
tui_expect "Tab completes action names" "index.search  index.search-next"
tui_keys C-u "index.next" Enter
tui_expect ":index.next runs the action" "local/INBOX  2/303"
tui_keys : "no.such" Enter
tui_expect "an unknown action is named" "no action called 'no.such'"
tui_keys x
tui_expect "an unbound key says so" "x is not bound here"

tui_keys c j Enter
tui_expect "the sidebar opens another folder" "local/Corpus"
tui_expect "the hostile subjects are shown as text" "^[]0;pwned title^G"
tui_keys c k Enter
tui_expect "back to the first folder" "local/INBOX"
tui_keys B
sleep 0.3
tui_screen >"$T/nosidebar"
expect_not_contains "B hides the sidebar" "$T/nosidebar" "│"

for size in "10 3" "1 1" "40 5" "3 20" "100 30"; do
	set -- $size
	tui_tmux resize-window -x "$1" -y "$2"
	sleep 0.3
done
tui_keys j k
tui_expect "alive and drawing after resizes down to 1x1" "local/"
tui_keys Enter
tui_tmux resize-window -x 12 -y 4
sleep 0.3
tui_tmux resize-window -x 100 -y 30
tui_keys q
tui_expect "pager survives a tiny window" "local/"

tui_keys q
tui_expect "q quits with status 0" "EXITED 0"
if [ "$(tui_tmux display -p '#{alternate_on}')" = 0 ]; then t_ok "terminal restored (alternate screen left)"
else t_fail "alternate screen still on"; fi
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi

# threads: o shows them, z opens one as a tree and closes it again
python3 - "$T/threads.mbox" <<'PY'
import sys
msgs = [("root", "Topic of the thread", None, "Mon, 02 Nov 2026 10:00:00 +0000", "Ann"),
        ("r1", "Re: Topic of the thread", "root", "Mon, 02 Nov 2026 11:00:00 +0000", "Bob"),
        ("r2", "Re: Topic of the thread", "r1", "Mon, 02 Nov 2026 12:00:00 +0000", "Cid"),
        ("solo", "A message alone", None, "Mon, 02 Nov 2026 09:00:00 +0000", "Dee")]
with open(sys.argv[1], "w") as f:
    for mid, subj, parent, date, name in msgs:
        f.write(f"From x@y Mon Nov  2 10:00:00 2026\nFrom: {name} <{name.lower()}@example.org>\n")
        f.write(f"Subject: {subj}\nDate: {date}\nMessage-ID: <{mid}@t>\n")
        if parent:
            f.write(f"In-Reply-To: <{parent}@t>\nReferences: <{parent}@t>\n")
        f.write("\nbody\n\n")
PY
"$petrel" -c "$T/config" import local Threads "$T/threads.mbox" >/dev/null 2>&1
tui_start 100 30 "$petrel" -c "$T/config"
tui_keys : "folders.open local/Threads" Enter
tui_expect "threads: the folder opens with its messages" "local/Threads  1/4"
tui_keys o
tui_expect "o: one row per thread" "local/Threads  1/2 (threads)"
tui_expect "o: a closed thread shows its count" "+ (3) Re: Topic of the thread"
tui_keys z
tui_expect "z: the thread opens as a tree" "    > Re: Topic of the thread"
tui_expect "z: with its root first" "- Topic of the thread"
tui_expect "z: every message listed" "local/Threads  1/4 (threads)"
tui_keys z
tui_expect "z: closes it again" "local/Threads  1/2 (threads)"
tui_keys o
tui_expect "o: back to messages" "local/Threads  1/4,"
tui_keys q
tui_expect "threads: quits" "EXITED 0"

# the mouse (option mouse): xterm mouse reports typed into the pane, as a
# terminal sends them (X10 encoding: ESC [ M, button+32, column+33, row+33)
mouse() {  # mouse BUTTON COLUMN ROW (0-based)
	tui_keys -l "$(printf '\033[M%b%b%b' "\\$(printf '%03o' $(($1 + 32)))" \
		"\\$(printf '%03o' $(($2 + 33)))" "\\$(printf '%03o' $(($3 + 33)))")"
}
click() { mouse 0 "$1" "$2"; sleep 0.05; mouse 3 "$1" "$2"; }
{ echo "mouse = yes"; cat "$T/config"; } >"$T/mouse"
chmod 600 "$T/mouse"
tui_start 100 30 "$petrel" -c "$T/mouse"
tui_expect "mouse: starts" "local/INBOX  1/303"
click 40 4
tui_expect "mouse: a click selects the message on that line" "local/INBOX  5/303"
mouse 65 40 4
tui_expect "mouse: the wheel scrolls down" "local/INBOX  8/303"
mouse 64 40 4
tui_expect "mouse: and up" "local/INBOX  5/303"
row=$(tui_screen | grep -n "Corpus" | head -1 | cut -d: -f1)
click 3 $((row - 1))
tui_expect "mouse: a click in the sidebar opens the folder" "local/Corpus"
tui_keys q
tui_expect "mouse: quits" "EXITED 0"
finish
