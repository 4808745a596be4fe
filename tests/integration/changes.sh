#!/usr/bin/env bash
# Local changes (petrel flag/move/delete) reach the server: at once when it
# can be reached; through the journal when it cannot, replayed exactly once
# by the next sync; and a SIGKILL during the replay loses nothing.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F=Chg$$ A=Arch$$
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
$D mailbox create -u bob "$A"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 60 >/dev/null 2>&1
mk() {  # mk NAME PORT
	cat >"$T/$1" <<CONF
data-dir = $T/data
[account b]
email = bob@example.org
imap = imaps://$PETREL_TEST_HOST:$2
user = bob
password-command = echo $PETREL_TEST_BOB_PASS
tls-ca-file = $PETREL_TEST_CA
prefetch = 0
timeout = 10s
CONF
	chmod 600 "$T/$1"
}
mk on "$PETREL_TEST_IMAPS_PORT"
mk off 1
p() { "$petrel" -c "$T/$1" "${@:2}"; }
count() { $D search -u bob mailbox "$1" ${2:+$2} | wc -l; }

p on sync --folder "$F" >/dev/null 2>&1
p on sync --folder "$A" >/dev/null 2>&1
mapfile -t ids < <(p on list --account b --folder "$F" --limit 0 | cut -f1)

p on flag "${ids[0]}" +flagged -seen >"$T/out" 2>"$T/err"
expect_status "flag online" 0 "$?"
p on move "${ids[1]}" "$A" >"$T/out" 2>"$T/err"
expect_status "move online" 0 "$?"
p on flag "${ids[2]}" "+bo(gus" >"$T/out" 2>"$T/err"   # neither a flag nor a keyword
expect_status "a word neither flag nor keyword is refused" 2 "$?"
mid() { echo "${1#id:}"; }
[ "$($D search -u bob mailbox "$F" header message-id "$(mid "${ids[0]}")" flagged | wc -l)" = 1 ] &&
	t_ok "the flag is on the server" || t_fail "flag not on the server"
[ "$($D search -u bob mailbox "$A" header message-id "$(mid "${ids[1]}")" | wc -l)" = 1 ] &&
	t_ok "the move is on the server" || t_fail "move not on the server"
[ ! -s "$T/data/mail/b/.petrel-journal" ] && t_ok "journal empty once confirmed" || t_fail "journal not emptied"

# offline: applied locally at once, journaled, replayed by the next sync
p off flag "${ids[3]}" +flagged >"$T/out" 2>"$T/err"
expect_status "flag offline is still success" 0 "$?"
expect_contains "offline: says it will be sent later" "$T/err" "next sync"
p off move "${ids[4]}" "$A" >/dev/null 2>&1
p off delete "${ids[5]}" >/dev/null 2>&1
p off list --account b --folder "$F" --limit 0 --json >"$T/json"
python3 -c '
import json, sys
d = {m["id"]: m for m in json.load(open(sys.argv[1]))}
assert "flagged" in d[sys.argv[2]]["flags"], "flag not applied locally"
assert sys.argv[3] not in d and sys.argv[4] not in d, "move/delete not applied locally"' \
	"$T/json" "$(mid "${ids[3]}")" "$(mid "${ids[4]}")" "$(mid "${ids[5]}")" &&
	t_ok "offline changes applied to the store at once" || t_fail "offline changes not applied locally"
lines=$(wc -l <"$T/data/mail/b/.petrel-journal")
expect_status "three journal entries" 3 "$lines"
before_a=$(count "$A")
p on sync >"$T/out" 2>"$T/err"
expect_status "sync replays the journal" 0 "$?"
[ ! -s "$T/data/mail/b/.petrel-journal" ] && t_ok "journal empty after replay" || t_fail "journal kept entries"
expect_status "the offline move reached the server, once" $((before_a + 1)) "$(count "$A")"
[ "$($D search -u bob mailbox "$F" header message-id "$(mid "${ids[3]}")" flagged | wc -l)" = 1 ] &&
	t_ok "the offline flag reached the server" || t_fail "offline flag missing"
p on sync >"$T/out" 2>"$T/err"
expect_status "moved again? a second sync changes nothing" $((before_a + 1)) "$(count "$A")"

# kill -9 during replay: 30 offline flag changes, replay killed at random
for i in $(seq 10 39); do p off flag "${ids[$i]}" +flagged >/dev/null 2>&1; done
for k in 1 2 3 4 5; do
	p on sync --folder INBOX >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 5))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done
p on sync >/dev/null 2>&1
missing=0
for i in $(seq 10 39); do
	[ "$($D search -u bob mailbox "$F" header message-id "$(mid "${ids[$i]}")" flagged | wc -l)" = 1 ] ||
		missing=$((missing + 1))
done
expect_status "after kills during replay, every offline change reached the server" 0 "$missing"
[ ! -s "$T/data/mail/b/.petrel-journal" ] && t_ok "journal empty at the end" || t_fail "journal not empty"
# folders: create, rename, delete; online and through the journal
has() { $D mailbox list -u bob | grep -qx "$1"; }
p on folder create b "New$$" >/dev/null 2>&1
has "New$$" && t_ok "folder create reaches the server" || t_fail "folder not created on the server"
p on folder rename b "New$$" "Renamed$$" >/dev/null 2>&1
has "Renamed$$" && ! has "New$$" && t_ok "folder rename reaches the server" || t_fail "rename missing"
p off folder create b "Off$$" >/dev/null 2>&1
[ -d "$T/data/mail/b/Off$$/cur" ] && t_ok "offline folder create applied locally" || t_fail "no local folder"
has "Off$$" && t_fail "offline create reached the server?" || t_ok "offline create waits in the journal"
p on sync >/dev/null 2>&1
has "Off$$" && t_ok "journaled folder create replayed" || t_fail "journaled create not replayed"
p on folder delete b "Renamed$$" >/dev/null 2>&1
has "Renamed$$" && t_fail "folder delete did not reach the server" || t_ok "folder delete reaches the server"
p on folder rename b INBOX Other >"$T/out" 2>&1
expect_status "INBOX cannot be renamed" 2 "$?"
# copy: online and through the journal; the original stays where it was
before_a=$(count "$A") before_f=$(count "$F")
p on copy "${ids[50]}" "$A" >/dev/null 2>"$T/err"
expect_status "copy online" 0 "$?"
expect_status "the copy is on the server" $((before_a + 1)) "$(count "$A")"
expect_status "the original stays on the server" "$before_f" "$(count "$F")"
p off copy "${ids[51]}" "$A" >/dev/null 2>"$T/err"
expect_status "copy offline is still success" 0 "$?"
p on sync >"$T/out" 2>"$T/err"
expect_status "the offline copy reached the server, once" $((before_a + 2)) "$(count "$A")"
p on sync --folder "$A" >/dev/null 2>&1
expect_status "locally the copy is in the destination" 1 \
	"$(p on list --account b --folder "$A" --limit 0 | cut -f1 | grep -cF "${ids[51]}")"
expect_status "and the original in its folder" 1 \
	"$(p on list --account b --folder "$F" --limit 0 | cut -f1 | grep -cF "${ids[51]}")"
expect_status "one file per server message in the destination" "$(count "$A")" \
	"$(ls "$T/data/mail/b/$A/cur" "$T/data/mail/b/$A/new" 2>/dev/null | grep -c ',U=')"
finish
