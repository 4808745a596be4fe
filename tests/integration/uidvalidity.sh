#!/usr/bin/env bash
# The server renumbers a folder (a new UIDVALIDITY: here the folder is
# deleted and made again with its messages in the opposite order) while
# changes made offline wait in the journal: each change reaches the message
# it was made to (found again by Message-ID), not the one that now has its
# old UID; a change to a message that is gone is dropped with a note; the
# store ends equal to the server.  Also Courier (no CONDSTORE/QRESYNC).
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

imap() {  # imap PORT USER PASS FOLDER ACTION: imaplib against the server
	python3 - "$@" <<'PY'
import imaplib, os, re, ssl, sys, time
port, user, pw, folder, action = sys.argv[1:6]
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
if os.environ.get("IMAP_MODE") == "ssl":
    c = imaplib.IMAP4_SSL("localhost", int(port), ssl_context=ctx)
else:
    c = imaplib.IMAP4("localhost", int(port))
    if os.environ.get("IMAP_MODE") == "starttls":
        c.starttls(ssl_context=ctx)
c.login(user, pw)
def msg(n):
    return (f"From: a@example.org\r\nTo: {user}@example.org\r\nSubject: renum {n}\r\n"
            f"Message-ID: <renum-{n}-{folder}@example.org>\r\n\r\nbody {n}\r\n").encode()
if action == "fill":          # a folder with messages 1..4, in that order
    c.create(folder)
    for n in (1, 2, 3, 4):
        c.append(folder, None, None, msg(n))
elif action == "renumber":    # the same folder again: 3 2 1, and 4 is gone
    c.delete(folder)
    time.sleep(1.1)           # a new UIDVALIDITY (the servers use the time)
    c.create(folder)
    for n in (3, 2, 1):
        c.append(folder, None, None, msg(n))
elif action == "flags":       # "N FLAGS" per message, by Message-ID
    c.select(folder, readonly=True)
    typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    for item in data:
        if isinstance(item, tuple):
            n = re.search(rb"renum-(\d+)-", item[1]).group(1).decode()
            fl = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode()
            print(n, " ".join(sorted(f for f in fl.split() if f in ("\\Flagged", "\\Seen"))))
c.logout()
PY
}

run() {  # run NAME URL PORT USER PASS FOLDER [CONFIG LINE] (IMAP_MODE: ssl, starttls, plain)
	local name=$1 url=$2 port=$3 user=$4 pass=$5 F=$6 extra=${7:-}
	for c in on off; do
		cat >"$T/$name-$c" <<CONF
data-dir = $T/data-$name
[account a]
email = $user@example.org
imap = ${url%:*}:$([ $c = on ] && echo "$port" || echo 1)
user = $user
password-command = echo $pass
tls-ca-file = $PETREL_TEST_CA
timeout = 10s
$extra
CONF
		chmod 600 "$T/$name-$c"
	done
	p() { "$petrel" -c "$T/$name-$1" "${@:2}"; }
	id() { echo "renum-$1-$F@example.org"; }

	imap "$port" "$user" "$pass" "$F" fill
	local LF=${F/INBOX./INBOX\/}   # Courier: INBOX.X is INBOX/X here
	p on sync --folder "$LF" >/dev/null 2>"$T/err"
	rc=$?
	expect_status "$name: first sync" 0 "$rc"
	[ "$rc" = 0 ] || sed "s/^/    # /" "$T/err"
	# offline: message 1 flagged, message 2 read, message 4 flagged
	p off flag "$(id 1)" +flagged >/dev/null 2>&1
	p off flag "$(id 2)" +seen >/dev/null 2>&1
	p off flag "$(id 4)" +flagged >/dev/null 2>&1
	expect_status "$name: three changes journaled" 3 \
		"$(grep -c . "$T/data-$name/mail/a/.petrel-journal" 2>/dev/null)"
	imap "$port" "$user" "$pass" "$F" renumber
	p on sync >"$T/out" 2>"$T/err"
	imap "$port" "$user" "$pass" "$F" flags | sort >"$T/server"
	printf '1 \\Flagged\n2 \\Seen\n3 \n' >"$T/want"
	if cmp -s "$T/server" "$T/want"; then
		t_ok "$name: each offline change reached its own message after the renumbering"
	else
		t_fail "$name: the server's flags are wrong:"; sed 's/^/    # /' "$T/server"; sed 's/^/    # err: /' "$T/err"
	fi
	expect_contains "$name: the change to the message that is gone is reported" "$T/err" \
		"renumbered the folder"
	n=$(grep -c . "$T/data-$name/mail/a/.petrel-journal" 2>/dev/null)
	expect_status "$name: the journal is empty" 0 "${n:-0}"
	expect_status "$name: the store has the server's three messages" 3 \
		"$(p on list --account a --folder "$LF" --limit 0 | wc -l)"
	# the whole local copy of the message the server lost is kept, and said so
	p on list --account a --folder "Recovered/$LF" --limit 0 >"$T/rec" 2>&1
	expect_contains "$name: the message the server no longer has is kept in Recovered/" \
		"$T/rec" "renum 4"
	expect_status "$name: and only that one (the others got their bodies back)" 1 \
		"$(grep -c . "$T/rec")"
	expect_contains "$name: the sync says where it is" "$T/out" "kept in Recovered/$LF"
	p off show "$(id 1)" >"$T/show1" 2>&1
	expect_contains "$name: the bodies of the others are still here (not fetched again)" \
		"$T/show1" "body 1"
	p on list --account a --folder "$LF" --limit 0 --json | python3 -c '
import json, sys
d = {m["id"].split("-")[1]: m["flags"] for m in json.load(sys.stdin)}
assert "flagged" in d["1"] and "flagged" not in d["3"], d
assert "unread" not in d["2"], d' && t_ok "$name: the store shows the flags where they belong" ||
		t_fail "$name: the store's flags are wrong"
}
IMAP_MODE=ssl run dovecot "imaps://localhost:$PETREL_TEST_IMAPS_PORT" "$PETREL_TEST_IMAPS_PORT" \
	bob "$PETREL_TEST_BOB_PASS" "Renum$$"
if [ -n "${PETREL_TEST_COURIER_IMAP_PORT:-}" ]; then
	if [ "${PETREL_TEST_COURIER_TLS:-}" = none ]; then mode=plain extra="tls = off"; else
		mode=starttls extra=; fi
	IMAP_MODE=$mode run courier "imap://localhost:$PETREL_TEST_COURIER_IMAP_PORT" \
		"$PETREL_TEST_COURIER_IMAP_PORT" alice "$PETREL_TEST_ALICE_PASS" "INBOX.Renum$$" "$extra"
else
	echo "# Courier not running: its half skipped"
fi
finish
