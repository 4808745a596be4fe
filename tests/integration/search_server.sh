#!/usr/bin/env bash
# petrel search --server: the IMAP server searches what the store does not
# hold (a folder never synced here); what it finds is stored header-only,
# listed like a local search, found locally afterwards, and its body comes
# with petrel show.  Words, prefixes, not, dates, UTF-8 (CHARSET), one
# folder or all; a query the server search cannot take is refused with a
# reason and nothing sent; a later sync of the folder adds no duplicate.
# Against Dovecot and Courier.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
F=Srch$$ W=zebra$$q
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" bob "$F" 30 >/dev/null 2>&1
python3 - "bob+$F@example.org" "$W" <<'PY'
import email.utils, os, smtplib, sys
rcpt, w = sys.argv[1], sys.argv[2]
msgs = [(f"<a.{w}@t>", "Ann <ann@example.org>", f"About the {w}", "Mon, 02 Nov 2026 10:00:00 +0000",
         f"the {w} body text", "us-ascii"),
        (f"<b.{w}@t>", "Cid <cid@example.org>", f"=?utf-8?q?Gr=C3=BC=C3=9Fe_{w}?=",
         "Sun, 15 Mar 2026 10:00:00 +0000", "nothing", "us-ascii")]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    for mid, frm, subj, date, body, cs in msgs:
        l.sendmail("x@example.org", [rcpt], f"From: {frm}\r\nTo: bob@example.org\r\n"
                   f"Subject: {subj}\r\nDate: {date}\r\nMessage-ID: {mid}\r\n\r\n{body}\r\n")
PY
cat >"$T/config" <<CONF
data-dir = $T/data
[account b]
email = bob@example.org
imap = imaps://$PETREL_TEST_HOST:$PETREL_TEST_IMAPS_PORT
user = bob
password-command = echo $PETREL_TEST_BOB_PASS
tls-ca-file = $PETREL_TEST_CA
prefetch = 0
timeout = 10s
CONF
chmod 600 "$T/config"
P() { "$petrel" -c "$T/config" "$@"; }
P sync --folder INBOX >/dev/null 2>&1

P search "$W" >"$T/out" 2>&1
[ ! -s "$T/out" ] && t_ok "locally nothing matches yet" || t_fail "local search found: $(cat "$T/out")"
P search --server "$W" >"$T/out" 2>"$T/err"
expect_status "server search: exit 0" 0 "$?"
[ "$(grep -c "$W" "$T/out")" = 2 ] && t_ok "server search finds both, in every folder" ||
	{ t_fail "server search printed:"; sed 's/^/    # /' "$T/out" "$T/err"; }
expect_contains "listed like a local search (id, subject)" "$T/out" "id:a.$W@t"
P search "subject:$W" >"$T/out" 2>&1
[ "$(grep -c "$W" "$T/out")" = 2 ] && t_ok "what it found is in the store now" ||
	t_fail "local search after: $(cat "$T/out")"
P show "a.$W@t" >"$T/show" 2>&1
expect_contains "show fetches the body" "$T/show" "the $W body text"

P search --server --folder "$F" "from:ann subject:$W" >"$T/out" 2>&1
[ "$(grep -c "$W" "$T/out")" = 1 ] && t_ok "prefixes, one folder" || t_fail "from:+subject: gave: $(cat "$T/out")"
P search --server --folder "$F" "$W" not from:ann >"$T/out" 2>&1
[ "$(grep -c "b.$W" "$T/out")" = 1 ] && [ "$(grep -c "a.$W" "$T/out")" = 0 ] && t_ok "not" ||
	t_fail "not gave: $(cat "$T/out")"
P search --server --folder "$F" "$W" date:2026-03-15..2026-03-15 >"$T/out" 2>&1
[ "$(grep -c "b.$W" "$T/out")" = 1 ] && [ "$(grep -c "a.$W" "$T/out")" = 0 ] &&
	t_ok "a date range includes its end day" || t_fail "date gave: $(cat "$T/out")"
P search --server --folder "$F" "Grüße" >"$T/out" 2>&1
[ "$(grep -c "b.$W" "$T/out")" = 1 ] && t_ok "UTF-8 words (CHARSET UTF-8)" || t_fail "UTF-8 gave: $(cat "$T/out")"
P search --server --json --folder "$F" "$W" >"$T/out" 2>&1
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); sys.exit(0 if len(v)==2 else 1)' "$T/out" &&
	t_ok "--json" || t_fail "--json gave: $(cat "$T/out")"

P search --server "a or b" >"$T/out" 2>"$T/err"
expect_status "or: refused, exit 2" 2 "$?"
expect_contains "or: says why" "$T/err" "no 'or'"
P search --server "date:yesterday.." >"$T/out" 2>"$T/err"
expect_status "a bad date: exit 2" 2 "$?"
P search --server --folder NoSuch$$ "$W" >"$T/out" 2>"$T/err"
expect_status "no such folder: exit 1" 1 "$?"
expect_contains "no such folder: says so" "$T/err" "no folder"

P sync --folder "$F" >/dev/null 2>&1
n=$(P list --folder "$F" --limit 0 | wc -l)
[ "$n" = 32 ] && t_ok "a later sync completes the folder without duplicates" || t_fail "the folder has $n messages"

# offline: a clear reason, exit 1
sed "s/:$PETREL_TEST_IMAPS_PORT/:1/" "$T/config" >"$T/off"; chmod 600 "$T/off"
"$petrel" -c "$T/off" search --server "$W" >"$T/out" 2>"$T/err"
expect_status "offline: exit 1" 1 "$?"
[ -s "$T/err" ] && t_ok "offline: says why" || t_fail "offline: no reason"

# Courier (no CONDSTORE, its own SEARCH)
if [ -n "${PETREL_TEST_COURIER_IMAP_PORT:-}" ]; then
	if [ "${PETREL_TEST_COURIER_TLS:-}" = none ]; then extra="tls = off"; else extra=; fi
	cat >"$T/cconf" <<CONF
data-dir = $T/cdata
[account c]
email = alice@example.org
imap = imap://localhost:$PETREL_TEST_COURIER_IMAP_PORT
user = alice
password-command = echo $PETREL_TEST_ALICE_PASS
tls-ca-file = $PETREL_TEST_CA
prefetch = 0
timeout = 10s
$extra
CONF
	chmod 600 "$T/cconf"
	"$petrel" -c "$T/cconf" search --server --folder INBOX "subject:a" >"$T/out" 2>"$T/err"
	rc=$?
	[ "$rc" = 0 ] && t_ok "Courier: the server search works (exit 0)" ||
		{ t_fail "Courier: exit $rc"; sed 's/^/    # /' "$T/err"; }
else
	echo "# Courier not running: its check skipped"
fi
finish
