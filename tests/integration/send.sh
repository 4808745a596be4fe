#!/usr/bin/env bash
# Sending against the real servers: Postfix submission (587 STARTTLS and 465
# implicit TLS) delivering into Dovecot, and Courier-IMAP's outbox.
# - alice -> bob with a Bcc to alice: in bob's INBOX with the right headers
#   and the attachment byte-identical after decoding, no Bcc line anywhere it
#   was delivered, the Bcc recipient got it, exactly one copy in alice's
#   Sent (also when the Sent copy is redone, sent-copy = auto);
# - offline (a closed port): queued, exit 0; once reachable, sent once, by
#   queue flush and by sync;
# - rejections (unknown recipient 550, over the 5 MB SIZE limit, wrong
#   password 535, no STARTTLS, a wrong pin): a specific message, and the
#   message stays in the queue; retry, cancel (into Drafts), --json;
# - Courier outbox: the message reaches the "sent" output and is gone from
#   INBOX.Outbox, a Bcc warning; a sendmail failure (NO [ALERT]) is a
#   visible queue error and the message is kept, then sent.
# Every message carries a tag of this run, so the shared mailboxes of the
# long-lived test servers do not matter.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
T=$(mktemp -d)
trap 'rm -f "${PETREL_TEST_COURIER_FAIL_FILE:-/nonexistent}"; rm -rf "$T"' EXIT
H=$PETREL_TEST_HOST
TAG=send$$.$(date +%s)
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }
count() {  # count USER FOLDER MESSAGE-ID
	dv search -u "$1" mailbox "$2" header Message-ID "$3" 2>/dev/null | wc -l
}
conf() {  # conf NAME SMTP-URL [extra lines]
	local name=$1 url=$2; shift 2
	{ echo "data-dir = $T/$name"; echo "[account $name]"; echo "email = alice@example.org"
	  echo "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT"; echo "smtp = $url"
	  echo "user = alice"; echo "password-command = echo $PETREL_TEST_ALICE_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "timeout = 10s"; printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
P() { local name=$1; shift; "$petrel" -c "$T/$name.conf" "$@"; }
# msg FILE ID TO [extra header lines]: a hand-written MIME message with a
# binary attachment ($T/att.bin) and the Message-ID <ID>
head -c 30000 /dev/urandom >"$T/att.bin"
msg() {
	local f=$1 id=$2 to=$3; shift 3
	{ printf 'From: Alice <alice@example.org>\r\nTo: %s\r\n' "$to"
	  for h in "$@"; do printf '%s\r\n' "$h"; done
	  printf 'Subject: test %s\r\nMessage-ID: <%s>\r\nDate: %s\r\n' "$id" "$id" "$(date -R)"
	  printf 'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b0"\r\n\r\n'
	  printf -- '--b0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello Bob.\r\n'
	  printf -- '--b0\r\nContent-Type: application/octet-stream\r\n'
	  printf 'Content-Disposition: attachment; filename="att.bin"\r\n'
	  printf 'Content-Transfer-Encoding: base64\r\n\r\n'
	  base64 -w 76 "$T/att.bin" | sed 's/$/\r/'
	  printf -- '--b0--\r\n'; } >"$f"
}
queue_state() {  # queue_state NAME ID: the state column of ID
	P "$1" queue | awk -F'\t' -v id="$2" '$1 == id {print $3}'
}

# ---- 587 STARTTLS, with a Bcc ----
conf a "smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
ID1=m1.$TAG@example.org
msg "$T/m1.eml" "$ID1" "Bob <bob@example.org>" "Bcc: alice@example.org"
P a send "$T/m1.eml" >"$T/out" 2>"$T/err"
expect_status "587: petrel send exits 0" 0 "$?"
expect_contains "587: says sent" "$T/out" "sent"
sleep 1
[ "$(count bob INBOX "$ID1")" = 1 ] && t_ok "587: one copy in bob's INBOX" ||
	t_fail "587: bob's INBOX has $(count bob INBOX "$ID1") copies"
[ "$(count alice INBOX "$ID1")" = 1 ] && t_ok "587: the Bcc recipient (alice) got it" ||
	t_fail "587: alice's INBOX has $(count alice INBOX "$ID1") copies"
[ "$(count alice Sent "$ID1")" = 1 ] && t_ok "587: exactly one copy in alice's Sent" ||
	t_fail "587: alice's Sent has $(count alice Sent "$ID1") copies"
dv fetch -u bob text mailbox INBOX header Message-ID "$ID1" >"$T/bob.txt"
dv fetch -u alice text mailbox INBOX header Message-ID "$ID1" >"$T/alicein.txt"
if grep -qi '^bcc:' "$T/bob.txt" "$T/alicein.txt"; then t_fail "587: a Bcc line was delivered"
else t_ok "587: no Bcc line in what was delivered"; fi
expect_contains "587: From is alice" "$T/bob.txt" "From: Alice <alice@example.org>"
expect_contains "587: To is bob" "$T/bob.txt" "To: Bob <bob@example.org>"
expect_contains "587: the Message-ID is the message's" "$T/bob.txt" "Message-ID: <$ID1>"
if python3 - "$T/bob.txt" "$T/att.bin" <<'PY'
import email, sys
raw = open(sys.argv[1], "rb").read().split(b"\n", 1)[1]   # doveadm's "text:" line
m = email.message_from_bytes(raw)
att = [p for p in m.walk() if p.get_filename() == "att.bin"]
sys.exit(0 if att and att[0].get_payload(decode=True) == open(sys.argv[2], "rb").read() else 1)
PY
then t_ok "587: the attachment is byte-identical after decoding"
else t_fail "587: the attachment differs"; fi
P a queue >"$T/q"
[ ! -s "$T/q" ] && t_ok "587: the queue is empty afterwards" || { t_fail "587: queue not empty"; sed 's/^/    # /' "$T/q"; }
[ ! -s "$T/a/mail/a/.petrel-journal" ] && t_ok "587: the Sent append left the journal" ||
	t_fail "587: the journal still has entries"
P a list --account a --folder Sent --limit 0 >"$T/sentlocal"
expect_contains "587: the Sent copy is in the local store too" "$T/sentlocal" "test $ID1"

# sent-copy = auto, the Sent copy made again (as after a crash between the
# delivery and the end of the queue entry): still exactly one
Q=$T/a/mail/a/.petrel-queue
cp "$T/m1.eml" "$Q/redo01.eml"
printf 'state delivered\nattempts 1\nnext 0\n' >"$Q/redo01.state"
P a queue flush >/dev/null 2>"$T/err"
[ "$(count alice Sent "$ID1")" = 1 ] && t_ok "auto: still one copy in Sent after the Sent step ran twice" ||
	t_fail "auto: alice's Sent has $(count alice Sent "$ID1") copies"
[ "$(count bob INBOX "$ID1")" = 1 ] && t_ok "auto: a delivered entry is not sent again" ||
	t_fail "auto: bob got $(count bob INBOX "$ID1") copies"

# ---- 465 implicit TLS ----
conf s "smtps://$H:$PETREL_TEST_SMTPS_PORT" "sent-copy = no"
ID2=m2.$TAG@example.org
msg "$T/m2.eml" "$ID2" "bob@example.org"
P s send - <"$T/m2.eml" >"$T/out" 2>"$T/err"
expect_status "465: petrel send - (standard input) exits 0" 0 "$?"
sleep 1
[ "$(count bob INBOX "$ID2")" = 1 ] && t_ok "465: one copy in bob's INBOX" ||
	t_fail "465: bob's INBOX has $(count bob INBOX "$ID2") copies"
[ "$(count alice Sent "$ID2")" = 0 ] && t_ok "465: sent-copy = no keeps no Sent copy" ||
	t_fail "465: a Sent copy despite sent-copy = no"

# ---- 8-bit text: BODY=8BITMIME, and SMTPUTF8 for a raw UTF-8 header ----
ID11=m11.$TAG@example.org
printf 'From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Gr\303\274\303\237e %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nSch\303\266ne Gr\303\274\303\237e\r\n' "$ID11" "$ID11" >"$T/m11.eml"
P s send "$T/m11.eml" >"$T/out" 2>"$T/err"
expect_status "8-bit header and body: sent (SMTPUTF8, 8BITMIME)" 0 "$?"
sleep 1
dv fetch -u bob text mailbox INBOX header Message-ID "$ID11" >"$T/m11.txt"
expect_contains "8-bit: the body arrived intact" "$T/m11.txt" "Schöne Grüße"
expect_contains "8-bit: the raw UTF-8 subject arrived intact" "$T/m11.txt" "Subject: Grüße"

# ---- a POP3 account: the Sent copy in the local store only ----
{ echo "data-dir = $T/p"; echo "[account p]"; echo "email = alice@example.org"
  echo "pop3 = pop3s://$H:$PETREL_TEST_POP3S_PORT"; echo "smtp = smtps://$H:$PETREL_TEST_SMTPS_PORT"
  echo "user = alice"; echo "password-command = echo $PETREL_TEST_ALICE_PASS"
  echo "tls-ca-file = $PETREL_TEST_CA"; echo "timeout = 10s"; } >"$T/p.conf"
chmod 600 "$T/p.conf"
ID12=m12.$TAG@example.org
msg "$T/m12.eml" "$ID12" "bob@example.org"
P p send "$T/m12.eml" >"$T/out" 2>"$T/err"
expect_status "POP3 account: sent" 0 "$?"
P p list --account p --folder Sent --limit 0 >"$T/psent"
expect_contains "POP3 account: the Sent copy is in the local store" "$T/psent" "test $ID12"
[ "$(count alice Sent "$ID12")" = 0 ] && t_ok "POP3 account: no IMAP Sent copy" || t_fail "POP3 account: an IMAP Sent copy"
[ ! -s "$T/p/mail/p/.petrel-journal" ] && t_ok "POP3 account: no journal entry" || t_fail "POP3 account: a journal entry"

# ---- offline: a closed port, then the real one ----
closed=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf off "smtp://$H:$closed"
ID3=m3.$TAG@example.org
msg "$T/m3.eml" "$ID3" "bob@example.org"
P off send "$T/m3.eml" >"$T/out" 2>"$T/err"
expect_status "offline: exit 0, nothing is lost" 0 "$?"
expect_contains "offline: says it is queued" "$T/err" "queued; will be sent when localhost is reachable"
Q3=$(awk -F'\t' '{print $1}' "$T/out")
[ "$(queue_state off "$Q3")" = queued ] && t_ok "offline: listed as queued" || t_fail "offline: not queued"
conf off "smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
P off queue flush >"$T/out" 2>"$T/err"
P off queue flush >>"$T/out" 2>>"$T/err"
sleep 1
[ "$(count bob INBOX "$ID3")" = 1 ] && t_ok "offline: sent once when reachable (queue flush, twice)" ||
	t_fail "offline: bob got $(count bob INBOX "$ID3") copies"
# by sync, once its backoff has passed
conf off "smtp://$H:$closed"
ID4=m4.$TAG@example.org
msg "$T/m4.eml" "$ID4" "bob@example.org"
P off send "$T/m4.eml" >"$T/out" 2>/dev/null
Q4=$(awk -F'\t' '{print $1}' "$T/out")
conf off "smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
P off sync >/dev/null 2>&1
sleep 1
[ "$(count bob INBOX "$ID4")" = 0 ] && t_ok "offline: sync honours the backoff" ||
	t_fail "offline: sync sent before the backoff"
sed -i 's/^next .*/next 0/' "$T/off/mail/off/.petrel-queue/$Q4.state"
P off sync >/dev/null 2>&1
sleep 1
[ "$(count bob INBOX "$ID4")" = 1 ] && t_ok "offline: sync sends it once it is due" ||
	t_fail "offline: bob got $(count bob INBOX "$ID4") copies after sync"

# --queue-only, then petrel watch delivers it
ID10=m10.$TAG@example.org
msg "$T/m10.eml" "$ID10" "bob@example.org"
P a send --queue-only "$T/m10.eml" >"$T/out" 2>"$T/err"
expect_status "queue-only: exit 0" 0 "$?"
sleep 1
[ "$(count bob INBOX "$ID10")" = 0 ] && t_ok "queue-only: not sent yet" || t_fail "queue-only: sent at once"
"$petrel" -c "$T/a.conf" watch >/dev/null 2>&1 &   # not P: $! must be petrel itself
wpid=$!
for i in $(seq 40); do [ "$(count bob INBOX "$ID10")" = 1 ] && break; sleep 0.5; done
kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
[ "$(count bob INBOX "$ID10")" = 1 ] && t_ok "watch: delivers what waits in the queue" ||
	t_fail "watch: bob got $(count bob INBOX "$ID10") copies"

# ---- rejections ----
ID5=m5.$TAG@example.org
msg "$T/m5.eml" "$ID5" "nobody@example.org, bob@example.org"
P a send "$T/m5.eml" >"$T/out" 2>"$T/err"
expect_status "unknown recipient: exit 1" 1 "$?"
expect_contains "unknown recipient: the server's words" "$T/err" "recipient nobody@example.org refused: 550"
expect_contains "unknown recipient: User unknown" "$T/err" "User unknown"
Q5=$(awk -F'\t' '{print $1}' "$T/out")
[ "$(queue_state a "$Q5")" = failed ] && t_ok "unknown recipient: kept in the queue as failed" ||
	t_fail "unknown recipient: state $(queue_state a "$Q5")"
sleep 1
[ "$(count bob INBOX "$ID5")" = 0 ] && t_ok "unknown recipient: nobody got it (no partial send)" ||
	t_fail "unknown recipient: bob got it"
P a queue retry "$Q5" >"$T/out" 2>"$T/err"
expect_status "retry of a refused message: exit 1 again" 1 "$?"
expect_contains "retry: the server's words again" "$T/err" "550"
P a queue --json >"$T/json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); e=[x for x in d if x["id"]==sys.argv[2]][0]; sys.exit(0 if e["state"]=="failed" and "550" in e["error"] and e["attempts"]==2 else 1)' "$T/json" "$Q5"
then t_ok "queue --json: state, attempts and error"; else t_fail "queue --json"; sed 's/^/    # /' "$T/json"; fi
P a queue cancel "$Q5" >"$T/out" 2>"$T/err"
expect_status "cancel: exit 0" 0 "$?"
[ -z "$(queue_state a "$Q5")" ] && t_ok "cancel: gone from the queue" || t_fail "cancel: still queued"
P a list --account a --folder Drafts --limit 0 >"$T/drafts"
expect_contains "cancel: the message is in Drafts" "$T/drafts" "test $ID5"

ID6=m6.$TAG@example.org
msg "$T/m6.eml" "$ID6" "bob@example.org"
head -c 5500000 /dev/zero | base64 -w 76 | sed 's/$/\r/' >>"$T/m6.eml"
P a send "$T/m6.eml" >"$T/out" 2>"$T/err"
expect_status "too large: exit 1" 1 "$?"
expect_contains "too large: says so with the limit" "$T/err" "takes at most 5242880"
Q6=$(awk -F'\t' '{print $1}' "$T/out")
[ "$(queue_state a "$Q6")" = failed ] && t_ok "too large: kept in the queue" || t_fail "too large: state $(queue_state a "$Q6")"

conf bad "smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
sed -i "s/^password-command = .*/password-command = echo wrong-password/" "$T/bad.conf"
ID7=m7.$TAG@example.org
msg "$T/m7.eml" "$ID7" "bob@example.org"
P bad send "$T/m7.eml" >"$T/out" 2>"$T/err"
expect_status "wrong password: exit 1" 1 "$?"
expect_contains "wrong password: login refused" "$T/err" "login as alice refused by localhost"
expect_contains "wrong password: the server's words (535)" "$T/err" "authentication failed"
Q7=$(awk -F'\t' '{print $1}' "$T/out")
[ "$(queue_state bad "$Q7")" = queued ] && t_ok "wrong password: kept queued" || t_fail "wrong password: state $(queue_state bad "$Q7")"

conf notls "smtp://$H:$PETREL_TEST_SMTP_NOTLS_PORT"
P notls send "$T/m7.eml" >"$T/out" 2>"$T/err"
expect_status "no STARTTLS: exit 1" 1 "$?"
expect_contains "no STARTTLS: says why" "$T/err" "does not offer STARTTLS"
[ "$(queue_state notls "$(awk -F'\t' '{print $1}' "$T/out")")" = queued ] && t_ok "no STARTTLS: kept queued" || t_fail "no STARTTLS: not queued"
conf pin "smtps://$H:$PETREL_TEST_SMTPS_PORT" "tls-fingerprint = $(printf '00%.0s' $(seq 32))"
P pin send "$T/m7.eml" >"$T/out" 2>"$T/err"
expect_status "wrong pin: exit 1" 1 "$?"
expect_contains "wrong pin: says so" "$T/err" "fingerprint"
[ "$(queue_state pin "$(awk -F'\t' '{print $1}' "$T/out")")" = queued ] && t_ok "wrong pin: kept queued" || t_fail "wrong pin: not queued"
sleep 1
[ "$(count bob INBOX "$ID7")" = 0 ] && t_ok "rejections: nothing was delivered" || t_fail "rejections: bob got m7"

# ---- Courier's outbox ----
if [ -n "${PETREL_TEST_COURIER_IMAP_PORT:-}" ]; then
	{ echo "data-dir = $T/c"; echo "[account c]"; echo "email = alice@example.org"
	  echo "imap = imap://$H:$PETREL_TEST_COURIER_IMAP_PORT"; echo "send = imap-outbox"
	  echo "user = alice"; echo "password-command = echo $PETREL_TEST_ALICE_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "timeout = 10s"; } >"$T/c.conf"
	chmod 600 "$T/c.conf"
	outbox=$PETREL_TEST_COURIER_MAIL_ROOT/alice/Maildir/.Outbox
	ID8=m8.$TAG@example.org
	msg "$T/m8.eml" "$ID8" "bob@example.org" "Bcc: alice@example.org"
	P c send "$T/m8.eml" >"$T/out" 2>"$T/err"
	expect_status "outbox: exit 0" 0 "$?"
	expect_contains "outbox: warns about Bcc first" "$T/err" "warning: account 'c' sends through the server's IMAP outbox"
	if grep -l "Message-ID: <$ID8>" "$PETREL_TEST_COURIER_SENT_DIR"/*.eml >/dev/null 2>&1; then
		t_ok "outbox: Courier sent it"; else t_fail "outbox: not in the sent output"; fi
	# what Courier does with Bcc: the line goes to its sendmail -t as written
	if grep -l "Message-ID: <$ID8>" "$PETREL_TEST_COURIER_SENT_DIR"/*.eml | xargs grep -qi '^Bcc: alice@example.org'; then
		t_ok "outbox: Courier hands the Bcc line to sendmail -t (documented)"
	else t_fail "outbox: Courier's sendmail input has no Bcc line (docs say it has)"; fi
	if grep -rl "$ID8" "$outbox/cur" "$outbox/new" >/dev/null 2>&1; then
		t_fail "outbox: still in INBOX.Outbox"; else t_ok "outbox: gone from INBOX.Outbox"; fi
	if grep -rl "$ID8" "$PETREL_TEST_COURIER_MAIL_ROOT/alice/Maildir/.Sent" >/dev/null 2>&1; then
		t_ok "outbox: a copy in INBOX.Sent"; else t_fail "outbox: no copy in INBOX.Sent"; fi
	# killed after Courier took it, before the queue recorded that: the
	# retry finds it in the outbox and does not send it again
	ID13=m13.$TAG@example.org
	msg "$T/m13.eml" "$ID13" "bob@example.org"
	( PETREL_TEST_SEND_KILL_AT=3 "$petrel" -c "$T/c.conf" send "$T/m13.eml" >"$T/out" 2>"$T/err"
	  echo $? >"$T/st" ) 2>/dev/null
	expect_status "outbox crash: killed right after the server's answer" 137 "$(cat "$T/st")"
	P c queue flush >/dev/null 2>&1
	[ "$(grep -l "Message-ID: <$ID13>" "$PETREL_TEST_COURIER_SENT_DIR"/*.eml 2>/dev/null | wc -l)" = 1 ] &&
		t_ok "outbox crash: sent exactly once" || t_fail "outbox crash: not sent exactly once"
	if grep -rl "$ID13" "$outbox/cur" "$outbox/new" >/dev/null 2>&1; then
		t_fail "outbox crash: left in INBOX.Outbox"; else t_ok "outbox crash: gone from INBOX.Outbox"; fi
	[ -z "$(P c queue)" ] && t_ok "outbox crash: the queue is empty" || t_fail "outbox crash: still queued"
	ID9=m9.$TAG@example.org
	msg "$T/m9.eml" "$ID9" "bob@example.org"
	touch "$PETREL_TEST_COURIER_FAIL_FILE"
	P c send "$T/m9.eml" >"$T/out" 2>"$T/err"
	expect_status "outbox failure: exit 1" 1 "$?"
	expect_contains "outbox failure: the server's alert" "$T/err" "Unable to send"
	Q9=$(awk -F'\t' '{print $1}' "$T/out")
	P c queue >"$T/q"
	expect_contains "outbox failure: a visible queue error" "$T/q" "Unable to send"
	[ "$(queue_state c "$Q9")" = queued ] && t_ok "outbox failure: kept queued" || t_fail "outbox failure: not kept"
	rm -f "$PETREL_TEST_COURIER_FAIL_FILE"
	P c queue flush >/dev/null 2>&1
	[ "$(grep -l "Message-ID: <$ID9>" "$PETREL_TEST_COURIER_SENT_DIR"/*.eml 2>/dev/null | wc -l)" = 1 ] &&
		t_ok "outbox failure: sent once when the server can" || t_fail "outbox failure: not sent once"
else
	t_ok "Courier is not running: outbox not checked"
fi
finish
