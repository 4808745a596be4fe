#!/usr/bin/env bash
# petrel compose, reply and forward through the CLI, with $EDITOR set to
# small scripts that edit the draft the way a person would: --print shows
# the built message, --postpone files it in the drafts folder; unchanged,
# empty and broken drafts are kept or cancelled with clear words.  A message
# of tests/corpus imported into a local account is answered and forwarded.
# Without the test servers the end-to-end part (compose -> Postfix -> Dovecot)
# is left out.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"
printf 'Sig line\n' >"$T/sig"
printf 'data-dir = %s/data\n[account local]\ntype = local\nemail = you@example.org\nname = Y\303\266 U\nalternates = you@old.example.org\nsignature = %s/sig\n' \
	"$T" "$T" >"$T/config"
chmod 600 "$T/config"
p() { "$petrel" -c "$T/config" "$@"; }

p import local INBOX "$PETREL_SRC/tests/corpus/flowed.eml" >/dev/null
# one more with a Cc list for reply --all
cat >"$T/cc.eml" <<'EOF'
From: Ana <ana@example.com>
To: you@example.org, Bob <bob@example.com>
Cc: "Smith, Al" <al@example.com>, YOU@OLD.example.org
Subject: Plans
Date: Fri, 6 Jan 2023 09:00:00 +0000
Message-ID: <plans@example.com>

Shall we?
EOF
p import local INBOX "$T/cc.eml" >/dev/null

# The editor: records the draft it was given and its mode, fills in To and
# Subject where empty and writes a line of text.  Run by execvp with
# arguments (no shell): EDITOR="python3 SCRIPT" must work.
cat >"$T/edit.py" <<'EOF'
import os, re, sys
path = sys.argv[1]
t = os.environ["T"]
open(t + "/mode", "w").write("%o" % (os.stat(path).st_mode & 0o777))
d = open(path, encoding="utf-8").read()
open(t + "/given", "w", encoding="utf-8").write(d)
d = re.sub(r"(?m)^To: *$", "To: Zo\u00eb <z@example.com>", d, count=1)
d = re.sub(r"(?m)^Subject: *$", "Subject: Gr\u00fc\u00dfe", d, count=1)
head, _, body = d.partition("\n\n")
open(path, "w", encoding="utf-8").write(head + "\n\nWritten in the editor, caf\u00e9.\n" + body)
EOF
export T
export VISUAL=
export EDITOR="python3 $T/edit.py"

p compose --print >"$T/out" 2>"$T/err"
expect_status "compose --print" 0 "$?"
expect_contains "draft file is 0600" "$T/mode" "600"
expect_contains "draft has the identity" "$T/given" "From: Yö U <you@example.org>"
expect_contains "draft has the signature" "$T/given" "$(printf -- '-- \nSig line')"
expect_contains "From encoded" "$T/out" "From: =?utf-8?B?WcO2IFU=?= <you@example.org>"
expect_contains "To name encoded" "$T/out" "To: =?utf-8?Q?Zo=C3=AB?= <z@example.com>"
expect_contains "Subject encoded" "$T/out" "Subject: =?utf-8?"
python3 - "$T/out" >"$T/py" 2>&1 <<'EOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert str(m["subject"]) == "Gr\u00fc\u00dfe", m["subject"]
assert m["to"].addresses[0].display_name == "Zo\u00eb"
assert m["from"].addresses[0].display_name == "Y\u00f6 U"
assert m.get_content().replace("\r\n", "\n") == "Written in the editor, caf\u00e9.\n\n\n-- \nSig line\n", repr(m.get_content())
print("ok")
EOF
expect_contains "headers and text decode as written (Python's email reads them back)" "$T/py" "ok"
expect_contains "Message-ID of the account's domain" "$T/out" "@example.org>"
expect_contains "quoted-printable text" "$T/out" "caf=C3=A9"
if grep -q $'\r$' "$T/out" && ! grep -qv $'\r$' "$T/out"; then
	t_ok "every line ends in CRLF"; else t_fail "lines do not all end in CRLF"; fi
if [ -z "$(ls -A "$TMPDIR")" ]; then t_ok "no draft left behind after --print"; else
	t_fail "draft left in $(ls "$TMPDIR")"; fi

head -c 3000 /dev/urandom >"$T/blob.bin"
printf 'hello\n' >"$T/"$'r\303\251sum\303\251.txt'
p compose --to 'a@example.com' --subject 'two files' --attach "$T/blob.bin" \
	--attach "$T/résumé.txt" --print >"$T/out" 2>"$T/err"
expect_status "compose --attach --print" 0 "$?"
expect_contains "given --to" "$T/given" "To: a@example.com"
expect_contains "Attach line in the draft" "$T/given" "Attach: $T/blob.bin"
expect_contains "multipart/mixed" "$T/out" "Content-Type: multipart/mixed"
expect_contains "octet-stream for .bin" "$T/out" "Content-Type: application/octet-stream"
expect_contains "RFC 2231 name" "$T/out" "filename*=utf-8''r%C3%A9sum%C3%A9.txt"
python3 - "$T/out" "$T/blob.bin" >"$T/py" 2>&1 <<'EOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = [p for p in m.iter_attachments()]
blob = [p for p in parts if p.get_filename() == "blob.bin"][0]
assert blob.get_content() == open(sys.argv[2], "rb").read(), "blob differs"
assert [p.get_filename() for p in parts][1] == "r\u00e9sum\u00e9.txt", parts[1].get_filename()
assert str(m["subject"]) == "two files"
print("ok")
EOF
expect_contains "attachments decode byte-identical (Python's email reads them back)" "$T/py" "ok"

p compose --to 'x@example.com' --subject $'two\nBcc: evil@example.com' --print >"$T/out" 2>"$T/err"
expect_status "a line break in --subject is refused" 2 "$?"
p compose --attach "$T/nope.txt" --print >"$T/out" 2>"$T/err"
expect_contains "a missing attachment is named" "$T/err" "nope.txt"

# unchanged, empty, broken
EDITOR=true p compose >"$T/out" 2>"$T/err"
expect_status "unchanged draft: not sent" 1 "$?"
expect_contains "unchanged draft kept" "$T/err" "not changed; not sent, draft kept as $TMPDIR/petrel-draft-"
kept=$(sed -n 's/.*draft kept as //p' "$T/err")
if [ -f "$kept" ]; then t_ok "the kept draft is there"; else t_fail "no kept draft '$kept'"; fi
EDITOR="truncate -s 0" p compose >"$T/out" 2>"$T/err"
expect_status "empty draft: cancelled" 1 "$?"
expect_contains "empty draft cancelled" "$T/err" "the draft is empty; cancelled"
EDITOR="sed -i s/^To:.*/To:\ not\ an\ address/" p compose --to a@example.com --print >"$T/out" 2>"$T/err"
expect_contains "a bad address is explained" "$T/err" "cannot read \"not an address\" as a list of mail addresses"
expect_contains "and the draft is kept" "$T/err" "not sent, the draft is kept as"
EDITOR="false" p compose >"$T/out" 2>"$T/err"
expect_contains "a failing editor keeps the draft" "$T/err" "exited with status 1; not sent, the draft is kept"
EDITOR="/nonexistent/editor" p compose >"$T/out" 2>"$T/err"
expect_contains "a missing editor is named" "$T/err" "cannot run the editor /nonexistent/editor"

# reply, reply --all, forward
p reply --print id:flowed@example.org >"$T/out" 2>"$T/err"
expect_status "reply --print" 0 "$?"
expect_contains "reply: To is the author" "$T/given" "To: Flow <flow@example.org>"
expect_contains "reply: Re: once" "$T/given" "Subject: Re: format=flowed"
expect_contains "reply: attribution" "$T/given" "On Thu, 05 Jan 2023"
expect_contains "reply: flowed text quoted joined" "$T/given" "> My reply, which is one long paragraph split over several lines by the sender's client."
expect_not_contains "reply: the original's signature is not quoted" "$T/given" "Signature line"
expect_contains "reply: In-Reply-To" "$T/out" "In-Reply-To: <flowed@example.org>"
expect_contains "reply: References" "$T/out" "References: <flowed@example.org>"

p reply --all --print id:plans@example.com >"$T/out" 2>"$T/err"
expect_status "reply --all --print" 0 "$?"
expect_contains "reply --all: To" "$T/given" "To: Ana <ana@example.com>"
expect_contains "reply --all: Cc without own addresses" "$T/given" 'Cc: Bob <bob@example.com>, "Smith, Al" <al@example.com>'
expect_contains "reply --all: Cc on the wire" "$T/out" 'Cc: Bob <bob@example.com>, "Smith, Al" <al@example.com>'

p forward --to z@example.com --print id:plans@example.com >"$T/out" 2>"$T/err"
expect_status "forward --print" 0 "$?"
expect_contains "forward: Fwd:" "$T/out" "Subject: Fwd: Plans"
expect_contains "forward: inline block" "$T/given" "---------- Forwarded message ----------"
expect_contains "forward: inline text" "$T/given" "Shall we?"
p forward --attach --to z@example.com --print id:plans@example.com >"$T/out" 2>"$T/err"
expect_status "forward --attach --print" 0 "$?"
expect_contains "forward --attach: message/rfc822" "$T/out" "Content-Type: message/rfc822"
expect_contains "forward --attach: the original inside" "$T/out" "Message-ID: <plans@example.com>"

# --postpone files it in Drafts, flagged draft
p reply --postpone id:plans@example.com >"$T/out" 2>"$T/err"
expect_status "reply --postpone" 0 "$?"
expect_contains "postponed" "$T/out" "postponed into local/Drafts as"
p list --folder Drafts >"$T/out"
expect_contains "the draft is in Drafts, flagged D" "$T/out" "$(printf 'Re: Plans\tD')"

# --resume: a postponed draft back in the editor, attachments and all; sent
# (here: postponed again) it leaves the drafts folder
p compose --to 'a@example.com' --subject 'later' --attach "$T/blob.bin" --postpone >"$T/out" 2>"$T/err"
expect_status "compose --attach --postpone" 0 "$?"
id=$(p list --folder Drafts | awk -F'\t' '$4 == "later" {print $1}')
EDITOR=true p compose --resume "$id" --print >"$T/out" 2>"$T/err"
expect_status "compose --resume --print (unchanged is fine)" 0 "$?"
python3 - "$T/out" "$T/blob.bin" >"$T/py" 2>&1 <<'EOF'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert str(m["subject"]) == "later" and m["to"].addresses[0].addr_spec == "a@example.com"
assert "Written in the editor, caf\u00e9." in m.get_body(("plain",)).get_content()
att = list(m.iter_attachments())[0]
assert att.get_filename() == "blob.bin"
assert att.get_content() == open(sys.argv[2], "rb").read(), "attachment differs"
print("ok")
EOF
expect_contains "resumed draft keeps headers, text and attachment" "$T/py" "ok"
EDITOR=true p compose --resume "$id" --postpone >"$T/out" 2>"$T/err"
expect_status "compose --resume --postpone" 0 "$?"
n=$(p list --folder Drafts | awk -F'\t' '$4 == "later"' | wc -l)
expect_status "the resumed draft replaced the old one in Drafts" 1 "$n"
p list --folder Drafts | cut -f1 | grep -qx "$id" && t_fail "the old draft is still there" ||
	t_ok "the old draft is gone"

# ---- one message written with petrel compose, through the send queue to
# Postfix (587 STARTTLS) and on into bob's Dovecot INBOX (tests/integration/
# send.sh covers the delivery itself; this is the draft's way there) ----
if [ -z "${PETREL_TEST_DIR:-}" ]; then
	echo "# the test servers are not running: no end-to-end send"
	finish
	exit
fi
H=$PETREL_TEST_HOST
export TMPDIR=$T/tmp-e2e  # the drafts kept above stay out of the count
mkdir -p "$TMPDIR"
ID_TAG=compose$$.$(date +%s)
{ echo "data-dir = $T/e2e"; echo "[account a]"; echo "email = alice@example.org"
  printf 'name = Alice L\303\263pez\n'
  echo "imap = imaps://$H:$PETREL_TEST_IMAPS_PORT"
  echo "smtp = smtp://$H:$PETREL_TEST_SUBMISSION_PORT"
  echo "user = alice"; echo "password-command = echo $PETREL_TEST_ALICE_PASS"
  echo "tls-ca-file = $PETREL_TEST_CA"; echo "timeout = 10s"; } >"$T/e2e.conf"
chmod 600 "$T/e2e.conf"
cat >"$T/edit-e2e.py" <<'EOF'
import os, re, sys
path = sys.argv[1]
d = open(path, encoding="utf-8").read()
d = re.sub(r"(?m)^Bcc: *$", "Bcc: alice@example.org", d, count=1)
d = re.sub(r"(?m)^Subject: *$", "Subject: \u00bfQu\u00e9 tal? " + os.environ["ID_TAG"], d, count=1)
head, _, body = d.partition("\n\n")
open(path, "w", encoding="utf-8").write(head + "\n\nHola Bob, see the file.\n.\n..\nFrom here on\n-- \nAlice\n" + body)
EOF
export ID_TAG
EDITOR="python3 $T/edit-e2e.py" "$petrel" -c "$T/e2e.conf" compose --to 'Bob <bob@example.org>' \
	--attach "$T/blob.bin" >"$T/out" 2>"$T/err"
expect_status "compose sends through Postfix" 0 "$?"
expect_contains "compose: says sent" "$T/out" "sent"
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }
for _ in 1 2 3 4 5 6 7 8 9 10; do
	dv fetch -u bob text mailbox INBOX header Subject "$ID_TAG" >"$T/bob.txt" 2>/dev/null
	[ -s "$T/bob.txt" ] && break
	sleep 0.5
done
python3 - "$T/bob.txt" "$T/blob.bin" >"$T/py" 2>&1 <<'EOF'
import email, email.policy, sys
raw = open(sys.argv[1], "rb").read()
raw = raw[raw.index(b"\n") + 1:]  # doveadm's "text:" line
m = email.message_from_bytes(raw, policy=email.policy.default)
assert "\u00bfQu\u00e9 tal?" in str(m["subject"]), m["subject"]
assert m["from"].addresses[0].display_name == "Alice L\u00f3pez", m["from"]
assert m["to"].addresses[0].addr_spec == "bob@example.org"
assert m["bcc"] is None, "a Bcc line was delivered"
body = m.get_body(("plain",)).get_content().replace("\r\n", "\n")
assert body.startswith("Hola Bob, see the file.\n.\n..\nFrom here on\n-- \nAlice\n"), repr(body)
att = list(m.iter_attachments())[0]
assert att.get_filename() == "blob.bin"
assert att.get_content() == open(sys.argv[2], "rb").read(), "attachment differs"
print("ok")
EOF
expect_contains "bob got it: subject, names, text, attachment byte-identical, no Bcc" "$T/py" "ok"
n=$(dv search -u alice mailbox INBOX header Subject "$ID_TAG" 2>/dev/null | wc -l)
expect_status "the Bcc recipient got one copy" 1 "$n"
if [ -z "$(ls -A "$TMPDIR")" ]; then t_ok "no draft left behind once sent"; else
	t_fail "draft left in $(ls "$TMPDIR")"; fi

# refused by the server: the message stays in the queue, and only there
EDITOR="python3 $T/edit-e2e.py" "$petrel" -c "$T/e2e.conf" compose --to nobody@example.org \
	>"$T/out" 2>"$T/err"
expect_status "refused: exit 1" 1 "$?"
expect_contains "refused: the server's words" "$T/err" "550"
expect_not_contains "refused: not kept as a draft as well" "$T/err" "draft is kept"
"$petrel" -c "$T/e2e.conf" queue >"$T/out"
expect_contains "refused: in the queue as failed" "$T/out" "failed"

# --postpone in an IMAP account: the draft goes up to the server's Drafts
# with the next sync; resumed and postponed again, the old one leaves it
DTAG=draft$$.$(date +%s)
EDITOR="python3 $T/edit-e2e.py" "$petrel" -c "$T/e2e.conf" compose --to bob@example.org --subject "$DTAG" --postpone \
	>"$T/out" 2>"$T/err"
expect_status "IMAP account: --postpone" 0 "$?"
did=$(sed -n 's/^postponed into a\/Drafts as //p' "$T/out")
"$petrel" -c "$T/e2e.conf" sync >/dev/null 2>"$T/err"
n=$(dv search -u alice mailbox Drafts header Message-ID "$did" 2>/dev/null | wc -l)
expect_status "the postponed draft is in the server's Drafts after sync" 1 "$n"
"$petrel" -c "$T/e2e.conf" list --folder Drafts >"$T/out"
n=$(grep -c "$DTAG" "$T/out")
expect_status "and once here (the local copy learnt its UID)" 1 "$n"
EDITOR=true "$petrel" -c "$T/e2e.conf" compose --resume "id:$did" --postpone >"$T/out" 2>"$T/err"
expect_status "IMAP account: --resume --postpone" 0 "$?"
"$petrel" -c "$T/e2e.conf" sync >/dev/null 2>"$T/err"
n=$(dv search -u alice mailbox Drafts header Message-ID "$did" 2>/dev/null | wc -l)
expect_status "the old draft left the server's Drafts" 0 "$n"
n=$(dv search -u alice mailbox Drafts header Subject "$DTAG" 2>/dev/null | wc -l)
expect_status "the new one is there" 1 "$n"
finish
