#!/usr/bin/env bash
# Compose and the send queue in the terminal UI, against the real servers:
# r on a message from Bob runs the editor (a script here), the review screen
# shows To, Subject, the text; an attachment is added, removed and added
# again; Bcc is completed from the addresses in the store (Tab); y sends it
# (Postfix delivers it to Bob's INBOX on Dovecot, with the attachment).
# With the servers unreachable: a new message is queued, the queue view
# shows why it waits, R retries, D cancels it into Drafts; P postpones a
# draft into Drafts.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
need_servers
tui_setup
F=Compose$$
TAG=q$$x$(date +%s)
D="doveadm -c $PETREL_TEST_DOVECOT_CONF"
mkdir -p "$T/home/.config"
$D mailbox create -u alice "$F"
python3 - "alice+$F@example.org" "$TAG" <<'PY'
import email.utils, os, smtplib, sys
rcpt, tag = sys.argv[1], sys.argv[2]
with smtplib.LMTP("127.0.0.1", int(os.environ["PETREL_TEST_LMTP_PORT"])) as l:
    l.sendmail("bob@example.org", [rcpt],
               f"From: Bob <bob@example.org>\r\nTo: Alice <alice@example.org>\r\n"
               f"Subject: question {tag}\r\nDate: {email.utils.formatdate()}\r\n"
               f"Message-ID: <{tag}@bob>\r\n\r\nwhat do you think?\r\n")
PY
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf() {  # conf FILE IMAP-PORT SUBMISSION-PORT
	{ echo "data-dir = $T/data"; echo "[account srv]"; echo "email = alice@example.org"
	  echo "name = Alice"
	  echo "imap = imaps://$PETREL_TEST_HOST:$2"; echo "smtp = smtp://$PETREL_TEST_HOST:$3"
	  echo "user = alice"; echo "password-command = echo $PETREL_TEST_ALICE_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "prefetch = 30d"; echo "timeout = 5s"
	  echo "watch = no"; } >"$1"
	chmod 600 "$1"
}
conf "$T/config" "$PETREL_TEST_IMAPS_PORT" "$PETREL_TEST_SUBMISSION_PORT"
conf "$T/offline" "$dead" "$dead"
"$petrel" -c "$T/config" sync --folder "$F" >/dev/null 2>&1
# the editor: a script that fills To when empty and writes an answer
cat >"$T/ed.sh" <<EOF
#!/bin/sh
sed -i 's/^To: *\$/To: bob@example.org/' "\$1"
printf 'my answer $TAG\n' >>"\$1"
EOF
chmod +x "$T/ed.sh"
echo "notes for bob" >"$T/note.txt"
mkdir -p "$T/tmp"

tui_start 100 30 env VISUAL="$T/ed.sh" TMPDIR="$T/tmp" "$petrel" -c "$T/config"
tui_keys : "folders.open srv/$F" Enter
tui_expect "the folder opens" "question $TAG"
tui_keys r
tui_expect "r: the editor ran and the review screen shows the text" "my answer $TAG"
tui_expect "review: To is the sender" "To: Bob <bob@example.org>"
tui_expect "review: the subject is Re:" "Subject: Re: question $TAG"
tui_expect "review: the original is quoted" "> what do you think?"
tui_keys a "$T/note.txt" Enter
tui_expect "a: the attachment is listed with its size" "note.txt  (14)"
tui_keys D
tui_expect "D: the attachment is removed" "no attachments"
tui_keys a "$T/note.txt" Enter
tui_expect "a: attached again" "note.txt  (14)"
tui_keys b alice@ Tab
tui_expect "Tab completes an address from the store" "Bcc: alice@example.org"
tui_keys Enter
tui_expect "review: Bcc is shown" "Bcc: alice@example.org"
tui_keys y
tui_expect "y: sent" "sent (" 30
for i in $(seq 1 100); do
	n=$($D search -u bob mailbox INBOX header subject "Re: question $TAG" 2>/dev/null | wc -l)
	[ "$n" = 1 ] && break
	sleep 0.2
done
if [ "$n" = 1 ]; then t_ok "Bob got the reply"; else t_fail "Bob has $n replies"; fi
uid=$($D search -u bob mailbox INBOX header subject "Re: question $TAG" 2>/dev/null | awk '{print $2}')
body=$($D fetch -u bob text mailbox INBOX uid "$uid" 2>/dev/null)
case "$body" in *"my answer $TAG"*) t_ok "the reply has the answer";; *) t_fail "no answer in the reply";; esac
case "$body" in *'filename="note.txt"'* | *"filename=note.txt"*) t_ok "the reply has the attachment";;
	*) t_fail "no attachment in the reply";; esac
case "$body" in *"In-Reply-To: <$TAG@bob>"*) t_ok "In-Reply-To names the original";;
	*) t_fail "no In-Reply-To";; esac
case "$body" in *"Bcc:"*) t_fail "the Bcc line went out";; *) t_ok "the Bcc line did not go out";; esac
tui_keys Q
tui_expect "Q: the queue view is empty" "Nothing waits to be sent."
tui_keys q q
tui_expect "quits" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi

# the servers unreachable
tui_start 100 30 env VISUAL="$T/ed.sh" TMPDIR="$T/tmp" "$petrel" -c "$T/offline"
tui_expect "offline: starts" "srv/"
tui_keys m
tui_expect "m: a new message, To filled by the editor" "To: bob@example.org"
tui_keys s "offline $TAG" Enter
tui_expect "s: the subject is set" "Subject: offline $TAG"
tui_keys y
tui_expect "offline: y queues it and says why it waits" "queued until the server can be reached" 30
tui_expect "the status line counts what waits" "1 to send"
tui_keys Q
tui_expect "Q: the queue view lists it" "offline $TAG"
tui_expect "Q: and why it waits" "could not be reached"
tui_keys R
tui_expect "R: tries again (one more attempt counted)" "(2 so far)" 20
tui_keys D
tui_expect "D: asks first" "cancel sending"
tui_keys y
tui_expect "D: cancelled into Drafts" "cancelled: the message is in the drafts folder" 20
tui_expect "the queue is empty again" "Nothing waits to be sent."
tui_keys q m
tui_expect "m: another draft" "To: bob@example.org"
tui_keys P
tui_expect "P: postponed into Drafts" "postponed into srv/Drafts" 20
tui_keys : "folders.open srv/Drafts" Enter
tui_expect "Drafts has the cancelled message" "offline $TAG"
tui_expect "Drafts shows whom it is to, not who wrote it" "To bob@example."
tui_expect "Drafts has the postponed draft too" "srv/Drafts  1/2"
# R takes a postponed draft up again; sent, it leaves Drafts
tui_keys R
tui_expect "R: the draft comes back in the review screen" "compose (srv)"
tui_keys y
tui_expect "R y: queued" "queued until the server can be reached" 30
tui_expect "R y: the old draft leaves Drafts" "srv/Drafts  1/1" 20
# q in the review screen asks before it discards
tui_keys m
tui_expect "m: a third draft" "To: bob@example.org"
tui_keys q
tui_expect "q: asks before discarding" "discard this draft?"
tui_keys y
tui_expect "q y: discarded" "draft discarded"
tui_keys q q
tui_expect "offline: quits" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "offline: nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
if [ -z "$(ls -A "$T/tmp")" ]; then t_ok "no draft directory left behind"
else t_fail "left in TMPDIR: $(ls "$T/tmp")"; fi
finish
