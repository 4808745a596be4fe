#!/usr/bin/env bash
# petrel check against the real test servers (tests/servers): every way of
# connecting that must work, every certificate and server that must be
# refused, and proof from the servers' logs that no password crossed an
# unverified connection.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
H=$PETREL_TEST_HOST
# the servers live for the whole suite: look only at what this run logs
declare -A logstart
for log in $PETREL_TEST_BAD_LOGS $PETREL_TEST_IMAP_NOTLS_LOG $PETREL_TEST_POSTFIX_LOG; do
	logstart[$log]=$(stat -c %s "$log" 2>/dev/null || echo 0)
done
newlog() { tail -c +"$((${logstart[$1]:-0} + 1))" "$1" 2>/dev/null; }

# conf NAME BODY...: writes an account config to $T/NAME.conf (mode 600)
conf() {
	local name=$1; shift
	{ echo "timeout = 20s"; echo "[account $name]"; printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
# run NAME: petrel check with $T/NAME.conf; output in $T/NAME.out/.err, status in $st
run() {
	"$petrel" -c "$T/$1.conf" check "$1" >"$T/$1.out" 2>"$T/$1.err"
	st=$?
}
alice=("email = alice@example.org" "user = alice" "password-command = echo $PETREL_TEST_ALICE_PASS"
       "tls-ca-file = $PETREL_TEST_CA")

# --- what must work -------------------------------------------------------
conf imaps "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT" \
	"smtp = smtps://$H:$PETREL_TEST_SMTPS_PORT"
run imaps
expect_status "IMAPS + SMTPS check succeeds" 0 "$st"
expect_contains "IMAPS is verified" "$T/imaps.out" "verified      yes, by tls-ca-file"
expect_contains "IMAPS reports TLS version" "$T/imaps.out" "tls           TLS1."
expect_contains "IMAPS reports the certificate" "$T/imaps.out" "certificate   "
expect_contains "IMAPS reports the fingerprint" "$T/imaps.out" "sha256        $PETREL_TEST_GOOD_SHA256"
expect_contains "IMAPS lists capabilities" "$T/imaps.out" "IMAP4rev1"
expect_contains "IMAPS login ok" "$T/imaps.out" "login         ok"
expect_contains "SMTPS ok" "$T/imaps.out" "smtp smtps://$H:$PETREL_TEST_SMTPS_PORT: ok"

conf starttls "${alice[@]}" "imap = imap://$H:$PETREL_TEST_IMAP_PORT" \
	"smtp = smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
run starttls
expect_status "IMAP STARTTLS + SMTP STARTTLS check succeeds" 0 "$st"
expect_contains "IMAP STARTTLS ok" "$T/starttls.out" "imap imap://$H:$PETREL_TEST_IMAP_PORT: ok"
expect_contains "SMTP STARTTLS ok" "$T/starttls.out" "smtp smtp://$H:$PETREL_TEST_SUBMISSION_PORT: ok"
expect_contains "STARTTLS verified" "$T/starttls.out" "verified      yes"
expect_not_contains "no STARTTLS in capabilities after TLS" "$T/starttls.out" "STARTTLS LOGINDISABLED"

conf pop3s "${alice[@]}" "pop3 = pop3s://$H:$PETREL_TEST_POP3S_PORT"
run pop3s
expect_status "POP3S check succeeds" 0 "$st"
expect_contains "POP3S login ok" "$T/pop3s.out" "login         ok"
expect_contains "POP3 capabilities" "$T/pop3s.out" "UIDL"

conf pop3stls "${alice[@]}" "pop3 = pop3://$H:$PETREL_TEST_POP3_PORT"
run pop3stls
expect_status "POP3 STLS check succeeds" 0 "$st"
expect_contains "POP3 STLS verified" "$T/pop3stls.out" "verified      yes"

conf ipliteral "${alice[@]}" "imap = imaps://127.0.0.1:$PETREL_TEST_IMAPS_PORT"
run ipliteral
expect_status "IMAPS to an IP address verifies against the IP SAN" 0 "$st"

conf pinned "email = alice@example.org" "user = alice" "password-command = echo $PETREL_TEST_ALICE_PASS" \
	"imap = imaps://$H:$PETREL_TEST_IMAPS_PORT" "tls-fingerprint = $PETREL_TEST_GOOD_SHA256"
run pinned
expect_status "a matching pin is trusted without the CA" 0 "$st"
expect_contains "pin named as the trust" "$T/pinned.out" "yes, by pin"

# --- what must be refused -------------------------------------------------
conf expired "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_EXPIRED_PORT"
run expired
expect_status "expired certificate refused" 1 "$st"
expect_contains "expired: says why" "$T/expired.err" "certificate expired on"

conf wronghost "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_WRONGHOST_PORT"
run wronghost
expect_status "wrong host name refused" 1 "$st"
expect_contains "wrong host: says why" "$T/wronghost.err" "wrong host name"

conf unknownca "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_SELFSIGNED_PORT"
run unknownca
expect_status "unknown CA refused" 1 "$st"
expect_contains "unknown CA: says why" "$T/unknownca.err" "unknown authority"

conf nocafile "email = alice@example.org" "user = alice" "password-command = echo $PETREL_TEST_ALICE_PASS" \
	"imap = imaps://$H:$PETREL_TEST_IMAPS_PORT"
run nocafile
expect_status "test CA not trusted by the system store" 1 "$st"
expect_contains "system store: unknown authority" "$T/nocafile.err" "unknown authority"

badpin=$(printf '00%.0s' $(seq 32))
conf badpin "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT" "tls-fingerprint = $badpin"
run badpin
expect_status "pin mismatch refused (even with a valid chain)" 1 "$st"
expect_contains "pin mismatch: says why" "$T/badpin.err" "does not match tls-fingerprint"

conf notls "${alice[@]}" "imap = imap://$H:$PETREL_TEST_IMAP_NOTLS_PORT"
run notls
expect_status "IMAP port without STARTTLS refused" 1 "$st"
expect_contains "no STARTTLS: says why" "$T/notls.err" "does not offer STARTTLS"

conf smtpnotls "${alice[@]}" "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT" \
	"smtp = smtp://$H:$PETREL_TEST_SMTP_NOTLS_PORT"
run smtpnotls
expect_status "SMTP port without STARTTLS refused" 1 "$st"
expect_contains "SMTP no STARTTLS: says why" "$T/smtpnotls.err" "does not offer STARTTLS"
expect_contains "the IMAP half still reported ok" "$T/smtpnotls.out" "imap imaps://$H:$PETREL_TEST_IMAPS_PORT: ok"

conf wrongpw "email = alice@example.org" "user = alice" "password-command = echo wrong-password" \
	"tls-ca-file = $PETREL_TEST_CA" "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT" \
	"smtp = smtps://$H:$PETREL_TEST_SMTPS_PORT"
run wrongpw
expect_status "wrong password refused" 1 "$st"
expect_contains "wrong password: IMAP says refused" "$T/wrongpw.err" "imap: login as alice refused"
expect_contains "wrong password: SMTP says refused" "$T/wrongpw.err" "smtp: login as alice refused"

conf nopw "email = alice@example.org" "tls-ca-file = $PETREL_TEST_CA" \
	"imap = imaps://$H:$PETREL_TEST_IMAPS_PORT"
run nopw
expect_status "no password configured" 1 "$st"
expect_contains "no password: says so" "$T/nopw.err" "no password-command"

"$petrel" -c "$T/none.conf" check >"$T/none.out" 2>"$T/none.err"
expect_status "missing config file is a usage error" 2 "$?"
expect_contains "missing config: names the file" "$T/none.err" "cannot read config file $T/none.conf"

# --- no password crossed an unverified connection -----------------------------
# The refused servers are real IMAP servers that would have accepted alice's
# login; their logs show the connections, and no authentication attempt.
sleep 1  # the servers log a disconnect asynchronously
for log in $PETREL_TEST_BAD_LOGS $PETREL_TEST_IMAP_NOTLS_LOG; do
	name=$(basename "$log")
	newlog "$log" >"$T/newlog"
	if [ ! -s "$T/newlog" ]; then
		t_fail "$name: the server logged nothing (did petrel connect at all?)"
		continue
	fi
	if grep -qE 'user=<alice>|auth failed|Login: ' "$T/newlog"; then
		t_fail "$name: an authentication attempt reached the server:"
		grep -E 'user=<alice>|auth failed|Login: ' "$T/newlog" | sed 's/^/    # /'
	else
		t_ok "$name: connection seen, no credential received"
	fi
done
newlog "$PETREL_TEST_POSTFIX_LOG" >"$T/newlog"
if grep 'postfix/notls' "$T/newlog" | grep -qiE 'sasl_username|authentication failed|AUTH'; then
	t_fail "postfix: a login reached the plain SMTP port"
else
	t_ok "postfix: no login on the plain SMTP port"
fi

# --- tls = off, written out, allows a plain server (bob, to keep alice's log clean)
conf plainok "email = bob@example.org" "user = bob" "password-command = echo $PETREL_TEST_BOB_PASS" \
	"tls = off" "imap = imap://$H:$PETREL_TEST_IMAP_NOTLS_PORT"
run plainok
expect_status "tls = off connects to a plain server" 0 "$st"
expect_contains "tls = off is reported" "$T/plainok.out" "NOT encrypted"

finish
