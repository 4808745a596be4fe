#!/usr/bin/env bash
# Write actions in the terminal UI on a local account (no servers): mark
# read/unread (N), flag (F), delete and undelete (d, u), move with folder
# completion (s, Tab), tags and the tag prefix (t, ;), from the index and
# from the pager; opening a message marks it read.  Each change shows at once
# and is checked in the store with petrel list while the UI still runs.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config"
printf 'data-dir = %s/data\n[account local]\n' "$T" >"$T/config"
chmod 600 "$T/config"
python3 "$PETREL_SRC/tests/tui/mkmail.py" "$T/new"
python3 "$PETREL_SRC/tests/gen_mbox.py" 20 "$T/old.mbox"
"$petrel" -c "$T/config" import local INBOX "$T/new" >/dev/null 2>&1
"$petrel" -c "$T/config" import local INBOX "$T/old.mbox" >/dev/null 2>&1
"$petrel" -c "$T/config" folder create local Archive/2026 >/dev/null 2>&1

# flags ID: the flag letters petrel list shows for message ID
flags() { "$petrel" -c "$T/config" list --folder "${2:-INBOX}" 2>/dev/null |
	  awk -F'\t' -v id="id:$1" '$1 == id { print $5 }'; }
# wait_flags NAME ID WANT [FOLDER]: until the store has flags WANT
wait_flags() {
	local got i
	for i in $(seq 1 100); do
		got=$(flags "$2" "${4:-INBOX}")
		[ "$got" = "$3" ] && { t_ok "$1"; return; }
		sleep 0.1
	done
	t_fail "$1: flags of $2 are '$got', want '$3'"
}

U=$("$petrel" -c "$T/config" list --folder INBOX | awk -F'\t' '$5 ~ /N/' | wc -l)
tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "starts on INBOX" "local/INBOX  1/23"
tui_expect "the status line counts the unread" "$U unread"

# N on the first row: read, at once on the screen, then in the store
tui_keys N
tui_expect "N marks read on the screen" "$((U - 1)) unread"
wait_flags "N marks read in the store" tui-1@petrel.test "-"
tui_keys N
wait_flags "N again marks it unread" tui-1@petrel.test "N"
tui_expect "the count follows" "$U unread"

# F flags the message (and ! shows in the flags column), F again unflags
tui_keys F
tui_expect "F shows the flag" "N!"
wait_flags "F flags it in the store" tui-1@petrel.test "NF"
tui_keys F
wait_flags "F again unflags it" tui-1@petrel.test "N"

# d marks deleted and moves down, as in mutt; u takes the mark away
tui_keys d
tui_expect "d moves to the next message" "local/INBOX  2/23"
wait_flags "d marks deleted in the store" tui-1@petrel.test "NT"
tui_screen >"$T/s"
if sed -n 1p "$T/s" | grep -q "ND.*Newest one with a report"; then t_ok "D shows in the row"
else t_fail "no D on the deleted row:"; sed 's/^/    # /' "$T/s"; fi
tui_keys k u
wait_flags "u undeletes" tui-1@petrel.test "N"

# s moves to a folder; Tab completes the folder name of the same account
tui_keys gg s A Tab
tui_expect "Tab completes the folder" "Move to folder: Archive/2026"
tui_keys Enter
tui_expect "says where it went" "moved 1 message to Archive/2026"
tui_expect "the row leaves the list" "local/INBOX  1/22"
wait_flags "the message is in Archive/2026" tui-1@petrel.test "N" Archive/2026

# a folder name that is not valid is refused in words
tui_keys s C-u "../x" Enter
tui_expect "a bad folder name is refused" "folder"
tui_expect_not "nothing moved" "moved 1 message to ../x"

# tags: t tags and moves down; ; then F flags every tagged message
tui_keys gg t t
tui_expect "t moves down" "local/INBOX  3/22"
tui_screen >"$T/s"
if [ "$(sed -n 1,2p "$T/s" | grep -c 'N  [*]')" = 2 ]; then t_ok "tagged rows show *"
else t_fail "no * on the tagged rows:"; sed 's/^/    # /' "$T/s"; fi
tui_keys '\;' F
tui_expect "the tag prefix says how many" "flagged: 2 tagged messages"
wait_flags "the first tagged message is flagged" tui-2@petrel.test "NF"
wait_flags "the second tagged message is flagged" tui-3@petrel.test "NF"
tui_keys '\;' s Archive Enter
tui_expect "moving the tagged set" "moved 2 messages to Archive"
tui_expect "both left the list" "local/INBOX  1/20"
wait_flags "a tagged message is in Archive" tui-3@petrel.test "NF" Archive
tui_keys '\;'
tui_expect "the tags went with the move" "no message is tagged"

# T tags by a query; ; N marks every tagged message read; C-t untags all
U2=$("$petrel" -c "$T/config" list --folder INBOX | awk -F'\t' '$5 ~ /N/' | wc -l)
tui_keys T "tag:unread" Enter
tui_expect "T tags the messages matching a query" "tagged $U2 more messages"
tui_keys '\;' N
tui_expect "; N marks them all read" "read: $U2 tagged messages"
tui_expect "the unread count follows" ", 0 unread"
tui_screen >"$T/s"
if grep -q '│.. [*]' "$T/s"; then t_ok "the tagged rows show *"; else t_fail "no tagged row"; fi
tui_keys C-t
sleep 0.3
tui_screen >"$T/s"
if ! grep -q '│.. [*]' "$T/s"; then t_ok "C-t untags all"
else t_fail "rows still tagged:"; sed 's/^/    # /' "$T/s"; fi

# the pager: opening marks read; N there marks unread again; F flags
tui_keys gg Enter
tui_expect "the pager opens" "Subject:"
id=$("$petrel" -c "$T/config" list --folder INBOX --limit 1 | cut -f1 | sed 's/^id://')
wait_flags "opening a message marks it read" "$id" "-"
tui_keys N
wait_flags "N in the pager marks it unread" "$id" "N"
tui_keys F
wait_flags "F in the pager flags it" "$id" "NF"
tui_keys d
wait_flags "d in the pager marks it deleted" "$id" "NFT"
tui_keys q
tui_expect "back in the index" "local/INBOX"

# quitting right after a change keeps it (quit waits for the store)
tui_keys j F q
tui_expect "quits" "EXITED 0"
id2=$("$petrel" -c "$T/config" list --folder INBOX --limit 2 | sed -n 2p | cut -f1 |
      sed 's/^id://')
case $(flags "$id2") in *F*) t_ok "a change made just before quitting is kept" ;;
*) t_fail "the change made before quitting was lost: '$(flags "$id2")'" ;; esac
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
finish
