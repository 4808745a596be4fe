#!/usr/bin/env bash
# Write actions in the terminal UI on an IMAP account, checked on the real
# Dovecot: flag, delete mark and move reach the server; new mail found by a
# sync marks its folder in the sidebar until it is opened; with the server
# unreachable the status line says "offline", a change is kept in the
# journal (the message line says so) and the next sync sends it.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
need_servers
tui_setup
F=Act$$ A=ActArch$$ O=ActOther$$
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
mkdir -p "$T/home/.config"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$F" 12 >/dev/null 2>&1
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$O" 2 >/dev/null 2>&1
$D mailbox create -u alice "$A"
conf() { tui_imap_conf "$1" "$2" "watch = no"; }  # conf FILE PORT
conf "$T/config" "$PETREL_TEST_IMAPS_PORT"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf "$T/offline" "$port"

# nth N: the message id of row N of the folder, newest first
nth() { "$petrel" -c "$T/config" list --folder "$F" | sed -n "${1}p" | cut -f1 | sed 's/^id://'; }
# server_has NAME MAILBOX ID [SEARCH...]: until Dovecot finds it
server_has() {
	local name=$1 box=$2 id=$3 i; shift 3
	for i in $(seq 1 100); do
		[ "$($D search -u alice mailbox "$box" header message-id "<$id>" "$@" 2>/dev/null |
		     wc -l)" = 1 ] && { t_ok "$name"; return; }
		sleep 0.1
	done
	t_fail "$name: Dovecot has no $* message <$id> in $box"
}

tui_start 100 30 "$petrel" -c "$T/config"
tui_expect "starts" "0 in 0 out"
tui_keys '$'
tui_expect "the first sync finishes" "synced" 60
tui_keys : "folders.open srv/$F" Enter
tui_expect "the folder opens" "srv/$F  1/12"
id1=$(nth 1) id2=$(nth 2) id3=$(nth 3)

tui_keys F
server_has "F: the server sees \\Flagged" "$F" "$id1" flagged
tui_keys d
server_has "d: the server sees \\Deleted" "$F" "$id1" deleted
tui_expect "d moved the cursor down" "srv/$F  2/12"
tui_keys s "$A" Enter
tui_expect "s: says where it went" "moved 1 message to $A"
server_has "s: the server has the message in the other folder" "$A" "$id2"
tui_expect "s: the row left the list" "srv/$F  2/11"

# new mail in another folder, found by a sync: "*" until it is opened
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" alice "$O" 1 >/dev/null 2>&1
tui_keys '$'
tui_expect "the folder with new mail is marked" "* $O" 60
tui_screen >"$T/s"
if ! grep -q "^\* *$F" "$T/s"; then t_ok "the open folder is not marked"
else t_fail "the open folder got a mark"; fi
tui_keys : "folders.open srv/$O" Enter
tui_expect "the other folder opens" "srv/$O  1/3"
tui_screen >"$T/s"
if ! grep -q "^\* *$O" "$T/s"; then t_ok "opening it takes the mark away"
else t_fail "the mark stayed:"; sed 's/^/    # /' "$T/s"; fi

# folders from the sidebar: create, rename, delete reach the server
has_box() {  # has_box NAME WANT(0|1) CHECK
	local n i
	for i in $(seq 1 100); do
		n=$($D mailbox list -u alice 2>/dev/null | grep -cx "$1")
		[ "$n" = "$2" ] && { t_ok "$3"; return; }
		sleep 0.1
	done
	t_fail "$3: Dovecot has $n folders called $1"
}
tui_keys c A "New$$" Enter
has_box "New$$" 1 "A: the server has the new folder"
tui_expect "A: the sidebar shows it" "New$$"
tui_keys : "folders.open srv/New$$" Enter
tui_keys c R C-u "Ren$$" Enter
has_box "Ren$$" 1 "R: the server has the renamed folder"
has_box "New$$" 0 "R: and not the old name"
tui_expect "R: the sidebar shows the new name" "Ren$$"
tui_keys : "folders.open srv/Ren$$" Enter
tui_keys c D
tui_expect "D: asks first" "delete Ren$$ and its 0 messages"
tui_keys y
has_box "Ren$$" 0 "D: the server no longer has it"
tui_keys q
tui_keys q
tui_expect "quits" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi

# offline: the status line says so; a change waits in the journal
tui_start 100 30 "$petrel" -c "$T/offline"
tui_keys : "folders.open srv/$F" Enter
tui_expect "offline: the cached folder opens" "srv/$F  1/11"
tui_keys G F
tui_expect "offline: the change is kept for the next sync" "the server gets it at the next sync"
tui_expect "offline: the status line says offline" "offline"
tui_keys q
tui_expect "offline: quits" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "offline: nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
idl=$("$petrel" -c "$T/config" list --folder "$F" | tail -1 | cut -f1 | sed 's/^id://')
"$petrel" -c "$T/config" sync >/dev/null 2>&1
server_has "the next sync sends the offline change" "$F" "$idl" flagged
finish
