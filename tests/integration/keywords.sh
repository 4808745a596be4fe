#!/usr/bin/env bash
# IMAP keywords both ways, on the real Dovecot: keywords set by another
# client arrive as tags (petrel list --json "keywords", petrel search tag:),
# go away when the client removes them; petrel flag ID +WORD / -WORD sets
# and clears them on the server, at once or (offline) from the journal.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F=Kw$$
imap() {  # imap ACTION [ARGS]: imaplib as bob against the test Dovecot
	python3 - "$F" "$@" <<'PY'
import imaplib, os, ssl, sys
folder, action, args = sys.argv[1], sys.argv[2], sys.argv[3:]
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
c = imaplib.IMAP4_SSL("localhost", int(os.environ["PETREL_TEST_IMAPS_PORT"]), ssl_context=ctx)
c.login("bob", os.environ["PETREL_TEST_BOB_PASS"])
def uid_of(n):
    c.select(folder)
    typ, data = c.uid("SEARCH", None, "HEADER", "Message-ID", f"<kw-{n}-{folder}@t>")
    return data[0].split()[0].decode()
if action == "fill":
    c.create(folder)
    for n in (1, 2, 3):
        c.append(folder, "(project)" if n == 1 else None, None,
                 (f"From: a@example.org\r\nTo: bob@example.org\r\nSubject: kw {n}\r\n"
                  f"Date: Mon, 0{n} Nov 2026 10:00:00 +0000\r\n"
                  f"Message-ID: <kw-{n}-{folder}@t>\r\n\r\nbody {n}\r\n").encode())
elif action == "store":       # store N +FLAGS|-FLAGS (kw)
    n, op, kw = args
    c.uid("STORE", uid_of(n), op, f"({kw})")
elif action == "flags":       # flags N: the message's flags, one line
    uid = uid_of(args[0])
    typ, data = c.uid("FETCH", uid, "(FLAGS)")
    print(data[0].decode())
c.logout()
PY
}
imap fill
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
P() { "$petrel" -c "$T/on" "$@"; }
kw() {  # kw N: the keywords petrel shows for message N
	P list --folder "$F" --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m["id"] == sys.argv[1]: print(" ".join(m["keywords"]))' "kw-$1-$F@t"
}

P sync --folder "$F" >/dev/null 2>&1
expect_status "a keyword set elsewhere arrives with the headers" "project" "$(kw 1)"
[ "$(P search "tag:project" | grep -c "kw-1-$F")" = 1 ] && t_ok "and is found as a tag" ||
	t_fail "petrel search tag:project does not find it"
imap store 1 -FLAGS project
imap store 2 +FLAGS urgent
P sync --folder "$F" >/dev/null 2>&1
expect_status "a keyword removed elsewhere goes" "" "$(kw 1)"
expect_status "a keyword added elsewhere comes" "urgent" "$(kw 2)"

P flag "kw-3-$F@t" +later >/dev/null 2>"$T/err"
expect_status "petrel flag +WORD: exit 0" 0 "$?"
expect_status "petrel flag +WORD: shown here" "later" "$(kw 3)"
case "$(imap flags 3)" in *later*) t_ok "petrel flag +WORD: the server has it";;
	*) t_fail "the server's flags: $(imap flags 3)";; esac
P flag "kw-3-$F@t" -later +seen >/dev/null 2>&1
case "$(imap flags 3)" in *later*) t_fail "-WORD: the server still has it";;
	*Seen*) t_ok "petrel flag -WORD +seen: keyword gone, flag set on the server";;
	*) t_fail "the server's flags: $(imap flags 3)";; esac
P flag "kw-3-$F@t" '+bad(word' >/dev/null 2>&1
expect_status "a word that cannot be a keyword is refused" 2 "$?"

"$petrel" -c "$T/off" flag "kw-2-$F@t" +offline >/dev/null 2>&1
expect_status "offline: kept here" "offline urgent" "$(kw 2)"
P sync --folder "$F" >/dev/null 2>&1
case "$(imap flags 2)" in *offline*) t_ok "offline: the next sync sends it";;
	*) t_fail "the server's flags after the sync: $(imap flags 2)";; esac
expect_status "offline: and it stays" "offline urgent" "$(kw 2)"
finish
