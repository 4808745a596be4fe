#!/usr/bin/env bash
# Secrets and helper commands (doc/SECURITY.md): with debug output on
# (PETREL_DEBUG=stderr, PETREL_DEBUG=FILE) and with the config's log-file, check, sync and watch against the real servers never show the
# password (stdout, stderr, debug output, log file, process arguments); the
# data dir is 0700 and its files 0600 (import, sync, journal, state); core
# dumps are off in a running petrel; password-command, token-command and
# html-command run with execve and the argument vector the user wrote, and
# nothing from a message reaches an argument vector.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
F=SecretsTest$$   # a folder of its own: the servers outlive one build's tests
watch_pid=
imap() {  # imap CODE: runs python CODE with M logged in as alice
	python3 - "$1" <<'PY'
import imaplib, os, ssl, sys
ctx = ssl.create_default_context(cafile=os.environ["PETREL_TEST_CA"])
M = imaplib.IMAP4_SSL(os.environ["PETREL_TEST_HOST"], int(os.environ["PETREL_TEST_IMAPS_PORT"]), ssl_context=ctx)
M.login("alice", os.environ["PETREL_TEST_ALICE_PASS"])
exec(sys.argv[1])
M.logout()
PY
}
cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	imap "M.delete('$F')" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
H=$PETREL_TEST_HOST
PW=$PETREL_TEST_ALICE_PASS

# A helper that records its argument vector, one argument a line between
# markers, then acts: prints the password, a token, or turns HTML into text.
cat >"$T/argv.sh" <<'SH'
#!/bin/sh
log=$(dirname "$0")/argv.log
{ echo "--- $1"; for a in "$@"; do printf '[%s]\n' "$a"; done; } >>"$log"
case $1 in
pass) cat "$(dirname "$0")/pw" ;;
token) echo "not-a-real-token" ;;
html) cat >/dev/null; echo "converted by the html command" ;;
esac
SH
chmod 700 "$T/argv.sh"
printf '%s\n' "$PW" >"$T/pw"
chmod 600 "$T/pw"

# A message whose HTML body and headers try to get into a command line.
cat >"$T/evil.eml" <<'MAIL'
From: "x; touch /tmp/pwned-$$" <evil@example.org>
To: alice@example.org
Subject: $(touch pwned) `id` ; rm -rf ~
Message-ID: <evil-argv@example.org>
Date: Sun, 1 Jan 2023 10:00:00 +0000
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<p>$(id) `id` ; | &amp; touch pwned</p>
MAIL

cat >"$T/config" <<CONF
data-dir = $T/data
log-file = $T/petrel.log
html-command = $T/argv.sh html '\$HOME' "two words" 'a;b'
[account s]
email = alice@example.org
user = alice
imap = imaps://$H:$PETREL_TEST_IMAPS_PORT
smtp = smtps://$H:$PETREL_TEST_SMTPS_PORT
tls-ca-file = $PETREL_TEST_CA
password-command = $T/argv.sh pass '\$HOME' "two words" 'a;b' \$(id)
CONF
chmod 600 "$T/config"
# p: petrel with debug output to stderr; pl: with the config's log-file
p() { PETREL_DEBUG=stderr "$petrel" -c "$T/config" "$@"; }
pl() { "$petrel" -c "$T/config" "$@"; }

p check s >"$T/check.out" 2>"$T/check.err"
expect_status "check with password-command" 0 "$?"
imap "M.create('$F'); M.append('$F', None, None, b'From: x@example.org\\r\\nSubject: on the server\\r\\nMessage-ID: <secrets-$$@test>\\r\\n\\r\\nhello\\r\\n')"
pl sync s --folder "$F" >"$T/sync.out" 2>"$T/sync.err"
expect_status "sync with password-command" 0 "$?"
expect_contains "debug output is on (PETREL_DEBUG=stderr)" "$T/check.err" "imap"
[ -s "$T/petrel.log" ] && t_ok "log-file written" || t_fail "log-file written"

# password-command: exactly the words written, no shell (no $HOME, no $(id))
{ echo "--- pass"; printf '[%s]\n' pass '$HOME' "two words" 'a;b' '$(id)'; } >"$T/want-pass"
awk '/^--- pass/{n++} n==1' "$T/argv.log" | head -6 >"$T/got-pass"
if cmp -s "$T/want-pass" "$T/got-pass"; then t_ok "password-command gets its argv, no shell"
else t_fail "password-command argv:"; sed 's/^/    # /' "$T/got-pass"; fi

# --- the same with the password in the file (mode 600) and token-command ----
sed -i "s|^password-command = .*|password = $PW|" "$T/config"
p check s >"$T/check2.out" 2>"$T/check2.err"
expect_status "check with password in the config" 0 "$?"

# --- watch: a running petrel has core dumps off and no password in argv ---
PETREL_DEBUG=$T/debug.log env -u PETREL_TEST_ALICE_PASS "$petrel" -c "$T/config" watch s >"$T/watch.out" 2>"$T/watch.err" &
watch_pid=$!
for _ in $(seq 100); do grep -qi 'idle' "$T/debug.log" 2>/dev/null && break; sleep 0.1; done
if [ -r "/proc/$watch_pid/limits" ]; then
	core=$(awk '/^Max core file size/ {print $5, $6}' "/proc/$watch_pid/limits")
	expect_status "core dumps disabled in petrel watch (soft hard)" "0 0" "$core"
	if tr '\0' ' ' <"/proc/$watch_pid/cmdline" | grep -qF -- "$PW"; then
		t_fail "password in petrel's process arguments"
	else t_ok "no password in petrel's process arguments"; fi
	if grep -qF -- "$PW" "/proc/$watch_pid/environ" 2>/dev/null; then
		t_fail "password in petrel's environment"
	else t_ok "petrel puts no password in its environment"; fi
else
	t_fail "petrel watch is not running"
fi
kill "$watch_pid" 2>/dev/null; wait "$watch_pid" 2>/dev/null; watch_pid=

# --- token-command: run with its argv (the login itself may fail) ---------
sed -i -e "s|^password = .*|token-command = $T/argv.sh token 'x y' '\$PATH'|" \
	-e "s|^\[account s\]|&\nauth = xoauth2|" "$T/config"
p check s >"$T/check3.out" 2>"$T/check3.err"
{ echo "--- token"; printf '[%s]\n' token 'x y' '$PATH'; } >"$T/want-token"
awk '/^--- token/{n++} n==1' "$T/argv.log" | head -4 >"$T/got-token"
if cmp -s "$T/want-token" "$T/got-token"; then t_ok "token-command gets its argv, no shell"
else t_fail "token-command argv:"; sed 's/^/    # /' "$T/got-token"; cat "$T/check3.err"; fi

# --- html-command: the message's text never becomes an argument ----------
p import s INBOX "$T/evil.eml" >"$T/import.out" 2>"$T/import.err"
expect_status "import of the hostile HTML message" 0 "$?"
id=$(p list --json --limit 0 --account s --folder INBOX 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if "touch" in m.get("subject", ""): print(m["id"])')
if [ -n "$id" ]; then
	(cd "$T" && p show "$id" >"$T/show.out" 2>"$T/show.err")
	expect_contains "html-command converted the body" "$T/show.out" "converted by the html command"
	{ echo "--- html"; printf '[%s]\n' html '$HOME' "two words" 'a;b'; } >"$T/want-html"
	awk '/^--- html/{n++} n==1' "$T/argv.log" >"$T/got-html"
	if cmp -s "$T/want-html" "$T/got-html"; then t_ok "html-command gets only its own argv"
	else t_fail "html-command argv:"; sed 's/^/    # /' "$T/got-html"; fi
else
	t_fail "the imported message is listed"
fi
if [ -e "$T/pwned" ] || [ -e "/tmp/pwned-$$" ]; then t_fail "message text ran as a command"
else t_ok "no message text ran as a command"; fi
if grep -qE 'touch|pwned|`|rm -rf' "$T/argv.log"; then t_fail "message text in an argument vector"
else t_ok "no message text in any argument vector"; fi

# --- a flag change with the server unreachable stays in the journal -------
sed -i "s|^imap = .*|imap = imaps://$H:1|" "$T/config"
sid=$(p list --json --limit 0 --account s --folder "$F" 2>/dev/null |
	python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])')
p flag "$sid" +flagged >"$T/flag.out" 2>"$T/flag.err"
for f in .petrel-journal .petrel-state; do
	[ -n "$(find "$T/data" -name "$f")" ] && t_ok "a $f file is among those checked" ||
		t_fail "no $f file in the data dir"
done

# --- the password appears nowhere ------------------------------------------
[ -s "$T/debug.log" ] && t_ok "PETREL_DEBUG=FILE written" || t_fail "PETREL_DEBUG=FILE written"
leaks=$(grep -lF -- "$PW" "$T"/*.out "$T"/*.err "$T/petrel.log" "$T/debug.log" 2>/dev/null)
if [ -z "$leaks" ]; then t_ok "password in no output, debug output or log file"
else t_fail "password found in: $leaks"; fi
if grep -rlF -- "$PW" "$T/data" >/dev/null 2>&1; then t_fail "password stored in the data dir"
else t_ok "password stored nowhere in the data dir"; fi

# --- permissions: 0700 directories, 0600 files (umask 077 in main.c) -------
[ -d "$T/data" ] && t_ok "data dir exists" || t_fail "data dir exists"
bad_dirs=$(find "$T/data" -type d ! -perm 700 | head)
bad_files=$(find "$T/data" -type f ! -perm 600 | head)
[ -z "$bad_dirs" ] && t_ok "every data dir folder is 0700" ||
	{ t_fail "folders not 0700:"; echo "$bad_dirs" | sed 's/^/    # /'; }
[ -z "$bad_files" ] && t_ok "every data dir file is 0600" ||
	{ t_fail "files not 0600:"; echo "$bad_files" | sed 's/^/    # /'; }
n_files=$(find "$T/data" -type f | wc -l)
[ "$n_files" -gt 3 ] && t_ok "the permission check saw $n_files files" ||
	t_fail "only $n_files files in the data dir"
perm=$(stat -c %a "$T/petrel.log")
expect_status "log-file is 0600" 600 "$perm"
finish
