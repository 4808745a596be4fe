#!/usr/bin/env bash
# OAuth2 (XOAUTH2, OAUTHBEARER), APOP and POP3 AUTH PLAIN against the real
# servers: Dovecot checks JWT access tokens itself (oauth2 passdb, local
# validation; tests/servers/oauth-token.py mints them), Postfix through
# Dovecot's SASL.  petrel check and sync over IMAP, POP3 and SMTP with a
# valid token; an expired or wrongly signed token refused with a clear
# message; `auth = auto` never picks OAuth2 or APOP; the token and the
# password never reach the debug log or the log file.
#
# Uses Dovecot user dave, whose mailbox only these tests touch.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
if [ -z "${PETREL_TEST_OAUTH_TOKEN_CMD:-}" ]; then
	echo "SKIP: the test servers have no OAuth2 user (restart them)"
	exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
H=$PETREL_TEST_HOST
U=$PETREL_TEST_OAUTH_USER
mint() { python3 "$PETREL_SRC/tests/servers/oauth-token.py" "$PETREL_TEST_OAUTH_KEY" "$U" "$@"; }
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }

# Fixed tokens in files, so the tests know exactly what must not leak.
mint >"$T/good.tok"
mint --expired >"$T/expired.tok"
mint --bad-signature >"$T/badsig.tok"
chmod 600 "$T"/*.tok
good=$(cat "$T/good.tok")

dv expunge -u "$U" mailbox INBOX all >/dev/null 2>&1
"$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" "$U" INBOX 7 >/dev/null 2>&1 ||
	t_fail "loading mail for $U"

# conf NAME LINES...: a config for NAME with its own data-dir (mode 600)
conf() {
	local name=$1; shift
	{ echo "data-dir = $T/$name"; echo "timeout = 20s"; echo "${global:-}"; echo "[account $name]"
	  echo "email = $U@example.org"; echo "user = $U"; echo "tls-ca-file = $PETREL_TEST_CA"
	  printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
# run NAME ARGS...: petrel with NAME's config; output in $T/NAME.out/.err, status in $st
run() {
	local name=$1; shift
	"$petrel" -c "$T/$name.conf" "$@" >"$T/$name.out" 2>"$T/$name.err"
	st=$?
}
# no_crash WHAT: a failure must be an ordinary exit, not a signal
no_crash() {
	if [ "$st" -lt 128 ]; then t_ok "$1: no crash"; else t_fail "$1: died with status $st"; fi
}
nlisted() { "$petrel" -c "$T/$1.conf" list --account "$1" --limit 0 | wc -l; }

imaps=imaps://$H:$PETREL_TEST_IMAPS_PORT
imap=imap://$H:$PETREL_TEST_IMAP_PORT
pop3s=pop3s://$H:$PETREL_TEST_POP3S_PORT
pop3=pop3://$H:$PETREL_TEST_POP3_PORT
smtps=smtps://$H:$PETREL_TEST_SMTPS_PORT
smtp=smtp://$H:$PETREL_TEST_SUBMISSION_PORT

# --- a valid token: check and sync everywhere ------------------------------
for mech in xoauth2 oauthbearer; do
	M=$(echo "$mech" | tr a-z A-Z)
	# IMAPS + SMTPS for one, STARTTLS on both for the other
	if [ "$mech" = xoauth2 ]; then i=$imaps s=$smtps p=$pop3s; else i=$imap s=$smtp p=$pop3; fi
	conf "i$mech" "imap = $i" "smtp = $s" "auth = $mech" "token-command = cat $T/good.tok"
	run "i$mech" check "i$mech"
	expect_status "$M: IMAP + SMTP check succeeds" 0 "$st"
	expect_contains "$M: IMAP login ok" "$T/i$mech.out" "imap $i: ok"
	expect_contains "$M: check shows the IMAP mechanism" "$T/i$mech.out" "auth AUTHENTICATE $M"
	expect_contains "$M: SMTP login ok" "$T/i$mech.out" "smtp $s: ok"
	expect_contains "$M: check shows the SMTP mechanism" "$T/i$mech.out" "auth AUTH $M"
	run "i$mech" sync
	expect_status "$M: IMAP sync succeeds" 0 "$st"
	n=$(nlisted "i$mech")
	expect_status "$M: IMAP sync brought the 7 messages" 7 "$n"

	conf "p$mech" "pop3 = $p" "auth = $mech" "token-command = cat $T/good.tok" "pop3-mode = keep"
	run "p$mech" check "p$mech"
	expect_status "$M: POP3 check succeeds" 0 "$st"
	expect_contains "$M: check shows the POP3 mechanism" "$T/p$mech.out" "auth AUTH $M"
	run "p$mech" sync
	expect_status "$M: POP3 sync succeeds" 0 "$st"
	n=$(nlisted "p$mech")
	expect_status "$M: POP3 sync brought the 7 messages" 7 "$n"
	grep -q "method=$M" "$PETREL_TEST_DOVECOT_LOG" && t_ok "$M: Dovecot logged the $M login" ||
		t_fail "$M: no method=$M login in Dovecot's log"
done

# --- refused tokens: a clear message, no crash -----------------------------
for bad in expired badsig; do
	for mech in xoauth2 oauthbearer; do
		M=$(echo "$mech" | tr a-z A-Z)
		# an account has IMAP or POP3: one of each
		conf "i$bad$mech" "imap = $imaps" "smtp = $smtps" "auth = $mech" \
			"token-command = cat $T/$bad.tok"
		conf "p$bad$mech" "pop3 = $pop3s" "auth = $mech" "token-command = cat $T/$bad.tok"
		for name in "i$bad$mech" "p$bad$mech"; do
			run "$name" check "$name"
			expect_status "$M $bad token ($name): check fails" 1 "$st"
			no_crash "$M $bad token ($name)"
			case $name in i*) svcs="imap smtp" ;; *) svcs=pop3 ;; esac
			for svc in $svcs; do
				expect_contains "$M $bad token: $svc says the token was refused" \
					"$T/$name.err" "$name $svc: the server refused the OAuth2 token"
			done
			expect_contains "$M $bad token ($name): points at token-command" "$T/$name.err" \
				"check token-command"
			if [ "$mech" = oauthbearer ]; then
				expect_contains "$M $bad token ($name): the server's OAuth2 status is shown" \
					"$T/$name.err" "status invalid_token"
			else
				expect_contains "$M $bad token ($name): the server's OAuth2 status is shown" \
					"$T/$name.err" "status 401"
			fi
			run "$name" sync
			no_crash "$M $bad token ($name): sync"
			if [ "$st" != 0 ] && grep -q "refused the OAuth2 token" "$T/$name.err"; then
				t_ok "$M $bad token ($name): sync fails with the reason"
			else
				t_fail "$M $bad token ($name): sync status $st, stderr:"
				sed 's/^/    # /' "$T/$name.err"
			fi
		done
	done
done
grep -q "Token has expired" "$PETREL_TEST_DOVECOT_LOG" &&
	t_ok "Dovecot refused the expired token for its date" ||
	t_fail "no 'Token has expired' in Dovecot's log"

# a token-command that fails says so, and nothing is sent
conf tokfail "imap = $imaps" "auth = xoauth2" "token-command = false"
run tokfail check tokfail
expect_status "a failing token-command fails the check" 1 "$st"
expect_contains "a failing token-command is named" "$T/tokfail.err" "token-command (false) failed"

# a server without the mechanism: said before any token is fetched
if [ -n "${PETREL_TEST_COURIER_IMAP_PORT:-}" ]; then
	conf nomech "imap = imap://$H:$PETREL_TEST_COURIER_IMAP_PORT" "auth = oauthbearer" \
		"token-command = sh -c 'touch $T/fetched; cat $T/good.tok'"
	run nomech check nomech
	expect_status "a server without OAUTHBEARER: check fails" 1 "$st"
	expect_contains "a server without OAUTHBEARER: says so" "$T/nomech.err" \
		"does not offer AUTH=OAUTHBEARER"
	[ ! -e "$T/fetched" ] && t_ok "no token fetched for a server without the mechanism" ||
		t_fail "the token-command ran for a server without the mechanism"
fi

# --- auto never picks OAuth2 or APOP ----------------------------------------
conf autoi "imap = $imaps" "smtp = $smtps" "password-command = echo $PETREL_TEST_DAVE_PASS"
conf autop "pop3 = $pop3s" "password-command = echo $PETREL_TEST_DAVE_PASS"
run autoi check autoi
expect_status "auth = auto works with the password (IMAP, SMTP)" 0 "$st"
expect_contains "auto on IMAP is LOGIN" "$T/autoi.out" "auth LOGIN"
expect_contains "auto on SMTP is AUTH PLAIN" "$T/autoi.out" "auth AUTH PLAIN"
run autop check autop
expect_status "auth = auto works with the password (POP3)" 0 "$st"
expect_contains "auto on POP3 is USER/PASS" "$T/autop.out" "auth USER/PASS"
grep -h '^ *auth ' "$T/autoi.out" "$T/autop.out" >"$T/auto.out"
expect_not_contains "auto does not use OAuth2" "$T/auto.out" "OAUTH"
expect_not_contains "auto does not use APOP" "$T/auto.out" "APOP"

# --- APOP and POP3 AUTH PLAIN -----------------------------------------------
for a in apop plain; do
	A=$(echo "$a" | tr a-z A-Z)
	want="auth $A"; [ "$a" = plain ] && want="auth AUTH PLAIN"
	conf "p$a" "pop3 = $pop3" "auth = $a" "password-command = echo $PETREL_TEST_DAVE_PASS" \
		"pop3-mode = keep"
	run "p$a" check "p$a"
	expect_status "POP3 $A: check succeeds" 0 "$st"
	expect_contains "POP3 $A: check shows the mechanism" "$T/p$a.out" "$want"
	run "p$a" sync
	expect_status "POP3 $A: sync succeeds" 0 "$st"
	n=$(nlisted "p$a")
	expect_status "POP3 $A: sync brought the 7 messages" 7 "$n"
	conf "w$a" "pop3 = $pop3s" "auth = $a" "password-command = echo wrong-password"
	run "w$a" check "w$a"
	expect_status "POP3 $A with a wrong password: check fails" 1 "$st"
	no_crash "POP3 $A with a wrong password"
	expect_contains "POP3 $A with a wrong password: says the login was refused" "$T/w$a.err" \
		"login as $U refused by $H"
done
grep -q "method=APOP" "$PETREL_TEST_DOVECOT_LOG" && t_ok "Dovecot logged an APOP login" ||
	t_fail "no method=APOP login in Dovecot's log"
conf iapop "imap = $imaps" "auth = apop" "password-command = echo $PETREL_TEST_DAVE_PASS"
run iapop check iapop
expect_status "auth = apop on IMAP: check fails" 1 "$st"
expect_contains "auth = apop on IMAP: says it is POP3's" "$T/iapop.err" "apop is a POP3 mechanism"

# --- secrets never reach the debug log or the log file ----------------------
# The debug log of a check and a sync with every mechanism, and the log file.
ir_x=$(printf 'user=%s\001auth=Bearer %s\001\001' "$U" "$good" | base64 -w0)
ir_o=$(printf 'n,a=%s,\001host=%s\001port=%s\001auth=Bearer %s\001\001' "$U" "$H" \
	"$PETREL_TEST_IMAPS_PORT" "$good" | base64 -w0)
sig=${good##*.}
for mech in xoauth2 oauthbearer; do
	global="log-file = $T/logfile" conf "di$mech" "imap = $imaps" "smtp = $smtp" \
		"auth = $mech" "token-command = cat $T/good.tok"
	global="log-file = $T/logfile" conf "dp$mech" "pop3 = $pop3" \
		"auth = $mech" "token-command = cat $T/good.tok" "pop3-mode = keep"
	for name in "di$mech" "dp$mech"; do
		PETREL_DEBUG=$T/debug "$petrel" -c "$T/$name.conf" check "$name" >/dev/null \
			2>>"$T/debug.stderr"
		PETREL_DEBUG=$T/debug "$petrel" -c "$T/$name.conf" sync >/dev/null 2>>"$T/debug.stderr"
	done
done
for a in apop plain; do
	conf "dp$a" "pop3 = $pop3" "auth = $a" "password-command = echo $PETREL_TEST_DAVE_PASS"
	PETREL_DEBUG=$T/debug "$petrel" -c "$T/dp$a.conf" check "dp$a" >/dev/null 2>>"$T/debug.stderr"
done
if [ -s "$T/debug" ]; then t_ok "PETREL_DEBUG wrote a debug log"; else t_fail "no debug log written"; fi
cat "$T/debug" "$T/debug.stderr" "$T/logfile" 2>/dev/null >"$T/all-logs"
for secret in "$good" "$sig" "$ir_x" "$ir_o" "$PETREL_TEST_DAVE_PASS"; do
	if grep -qF -- "$secret" "$T/all-logs"; then
		t_fail "a secret (${secret:0:12}...) is in the debug output or log file"
	else
		t_ok "no secret (${secret:0:12}...) in the debug output or log file"
	fi
done
if grep -qF -- "$sig" "$PETREL_TEST_DOVECOT_LOG" "$PETREL_TEST_POSTFIX_LOG"; then
	t_fail "the token is in a server log"
else
	t_ok "the token is in no server log"
fi
finish
