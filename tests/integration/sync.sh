#!/usr/bin/env bash
# petrel sync against the real Dovecot (CONDSTORE/QRESYNC) and Courier (no
# CONDSTORE: the fallback path): the store ends up with exactly the server's
# messages and flags; changes by another client (python imaplib) show up;
# a second sync with nothing changed is one SELECT; UIDVALIDITY changes.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
H=$PETREL_TEST_HOST
F=SyncTest$$   # a folder of its own per run: the servers outlive one build's tests

conf() {  # conf NAME URL USER PASS [extra lines]
	local name=$1 url=$2 user=$3 pass=$4; shift 4
	{ echo "data-dir = $T/$name"; echo "[account $name]"; echo "email = $user@example.org"
	  echo "imap = $url"; echo "user = $user"; echo "password-command = echo $pass"
	  echo "tls-ca-file = $PETREL_TEST_CA"; printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
# imap USER PASS PYTHON: runs python with M = an imaplib connection as USER
imap() {
	python3 - "$1" "$2" "$3" <<'PY'
import imaplib, os, ssl, sys
user, pw, code = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
M = imaplib.IMAP4_SSL(os.environ["PETREL_TEST_HOST"], int(os.environ["PETREL_TEST_IMAPS_PORT"]), ssl_context=ctx)
M.login(user, pw)
exec(code)
M.logout()
PY
}
# server_state USER FOLDER: "uid-less" view of the folder: sorted message-id + flags
server_state() {
	imap "$1" "$2" "
import re
M.select('$3', readonly=True)
typ, data = M.uid('fetch', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])')
out = []
for item in data:
    if not isinstance(item, tuple): continue
    flags = re.search(rb'FLAGS \(([^)]*)\)', item[0]).group(1).decode()
    mid = item[1].decode().split(':',1)[1].strip().strip('<>')
    f = ''.join(sorted(x for x in ('F' if '\\\\Flagged' in flags else '', 'R' if '\\\\Answered' in flags else '', 'N' if '\\\\Seen' not in flags else '') if x))
    out.append(mid + ' ' + (f or '-'))
print('\n'.join(sorted(out)))
"
}
# local_state NAME: the same view of petrel's store
local_state() {
	"$petrel" -c "$T/$1.conf" list --folder "$2" --account "$1" --limit 0 --json |
	python3 -c '
import json, sys
out = []
for m in json.load(sys.stdin):
    f = "".join(sorted(x for x in ("F" if "flagged" in m["flags"] else "", "R" if "replied" in m["flags"] else "", "N" if "unread" in m["flags"] else "") if x))
    out.append(m["id"] + " " + (f or "-"))
print("\n".join(sorted(out)))'
}
same_state() {  # same_state WHAT USER PASS NAME FOLDER
	server_state "$2" "$3" "$5" >"$T/server"
	local_state "$4" "$5" >"$T/local"
	if diff -q "$T/server" "$T/local" >/dev/null; then
		t_ok "$1 ($(wc -l <"$T/local") messages)"
	else
		t_fail "$1: store and server differ (< server, > store):"
		diff "$T/server" "$T/local" | head -10 | sed 's/^/    # /'
	fi
}

"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 2000 >/dev/null 2>&1
conf dv "imaps://$H:$PETREL_TEST_IMAPS_PORT" bob "$PETREL_TEST_BOB_PASS" "prefetch = 0"
"$petrel" -c "$T/dv.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
expect_status "first sync of 2000 messages" 0 "$?"
expect_contains "all new" "$T/out" "$F: 2000 messages, 2000 new"
same_state "store = server after the first sync" bob "$PETREL_TEST_BOB_PASS" dv "$F"
"$petrel" -c "$T/dv.conf" list --account dv --folder "$F" --limit 3 >"$T/out"
expect_contains "headers only: bodies are remote" "$T/out" "remote"

# opening a header-only message fetches its body; offline it says so
remote=$("$petrel" -c "$T/dv.conf" list --account dv --folder "$F" --limit 2 | grep remote | cut -f1)
first=$(echo "$remote" | sed -n 1p) second=$(echo "$remote" | sed -n 2p)
"$petrel" -c "$T/dv.conf" show "$first" >"$T/out" 2>"$T/err"
expect_status "show of a header-only message online" 0 "$?"
expect_not_contains "its body was fetched" "$T/out" "not downloaded"
"$petrel" -c "$T/dv.conf" list --account dv --folder "$F" --limit 0 >"$T/out"
expect_contains "now local" "$T/out" "$(printf '%s\t' "$first")"
grep -F "$first" "$T/out" | grep -q local && t_ok "marked local in list" || t_fail "not marked local"
sed "s/^imap = .*/imap = imaps:\/\/$H:1/" "$T/dv.conf" >"$T/off.conf"; chmod 600 "$T/off.conf"
"$petrel" -c "$T/off.conf" show "$second" >"$T/out" 2>"$T/err"
expect_status "show of a header-only message offline still shows it" 0 "$?"
expect_contains "offline: says the body is not downloaded" "$T/out" "not downloaded yet"
expect_contains "offline: headers shown" "$T/out" "Subject:"

PETREL_DEBUG="$T/debug" "$petrel" -c "$T/dv.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
expect_status "second sync" 0 "$?"
expect_contains "nothing changed: one round trip tells" "$T/out" "$F: 2000 messages, unchanged"

# another client changes things
imap bob "$PETREL_TEST_BOB_PASS" "
M.select('$F')
M.uid('store', '1:20', '+FLAGS', '(\\\\Flagged)')
M.uid('store', '21:30', '+FLAGS', '(\\\\Seen \\\\Answered)')
M.uid('store', '31:40', '+FLAGS', '(\\\\Deleted)')
M.expunge()
M.append('$F', None, None, b'From: x@example.org\r\nSubject: appended\r\nMessage-ID: <appended-1@test>\r\n\r\nhello\r\n')
"
"$petrel" -c "$T/dv.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
expect_status "sync after changes" 0 "$?"
expect_contains "changes counted: new" "$T/out" "1991 messages, 1 new,"
expect_contains "changes counted: removed" "$T/out" "10 removed"
same_state "store = server after another client's flags, expunges, append" bob "$PETREL_TEST_BOB_PASS" dv "$F"

# bodies on the way: prefetch fetches them and they replace the headers
conf pf "imaps://$H:$PETREL_TEST_IMAPS_PORT" bob "$PETREL_TEST_BOB_PASS" "prefetch = 3650d"
"$petrel" -c "$T/pf.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
expect_contains "prefetch fetched every body" "$T/out" "1991 bodies"
"$petrel" -c "$T/pf.conf" search --account pf "folder:pf/$F and hello" --json >"$T/json"
expect_contains "a prefetched body is searchable" "$T/json" "appended-1@test"
if "$petrel" -c "$T/pf.conf" list --account pf --folder "$F" --limit 0 | grep -q remote; then
	t_fail "some bodies still remote after prefetch"; else t_ok "every body local after prefetch"; fi

# UIDVALIDITY change: the server renumbers the folder
doveadm -c "$PETREL_TEST_DOVECOT_CONF" mailbox update -u bob --uid-validity 12345 "$F" 2>"$T/err" ||
	t_fail "doveadm could not change UIDVALIDITY: $(cat "$T/err")"
"$petrel" -c "$T/dv.conf" sync --folder "$F" >"$T/out" 2>"$T/err"
expect_status "sync after UIDVALIDITY change" 0 "$?"
expect_contains "renumbering reported" "$T/out" "renumbered"
same_state "store = server after UIDVALIDITY change" bob "$PETREL_TEST_BOB_PASS" dv "$F"

# unknown folder, wrong password: exit 2 with a reason
"$petrel" -c "$T/dv.conf" sync --folder NoSuchFolder >"$T/out" 2>"$T/err"
expect_status "unknown folder: nothing done" 2 "$?"
expect_contains "unknown folder named" "$T/err" "no folder 'NoSuchFolder'"
conf bad "imaps://$H:$PETREL_TEST_IMAPS_PORT" bob wrong-password
"$petrel" -c "$T/bad.conf" sync >"$T/out" 2>"$T/err"
expect_status "wrong password: nothing done" 2 "$?"
expect_contains "wrong password: says refused" "$T/err" "refused"

# Courier: no CONDSTORE, QRESYNC or MOVE
if [ -n "${PETREL_TEST_COURIER_IMAP_PORT:-}" ]; then
	scheme=imap
	extra=(); [ "${PETREL_TEST_COURIER_TLS:-}" = none ] && extra=("tls = off")
	conf cr "$scheme://$H:$PETREL_TEST_COURIER_IMAP_PORT" alice "$PETREL_TEST_ALICE_PASS" "prefetch = 0" "${extra[@]}"
	"$petrel" -c "$T/cr.conf" sync >"$T/out" 2>"$T/err"
	expect_status "sync with Courier (no CONDSTORE)" 0 "$?"
	expect_contains "Courier INBOX synced" "$T/out" "INBOX:"
	"$petrel" -c "$T/cr.conf" sync >"$T/out2" 2>"$T/err"
	expect_status "second Courier sync" 0 "$?"
else
	echo "# Courier is not running: fallback path not tested"
fi
finish
