#!/usr/bin/env bash
# The offline store through the CLI: import (mbox, Maildir, files), folders,
# list, search; flags kept; hostile headers sanitized; bad input refused
# with clear words.  No servers needed.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'data-dir = %s/data\n[account arch]\n[account other]\n' "$T" >"$T/config"
chmod 600 "$T/config"
p() { "$petrel" -c "$T/config" "$@"; }

python3 "$PETREL_SRC/tests/gen_mbox.py" 60 "$T/in.mbox"
p import arch INBOX "$T/in.mbox" >"$T/out" 2>"$T/err"
expect_status "import of an mbox" 0 "$?"
expect_contains "import counts" "$T/out" "imported 60, already there 0"
p import arch INBOX "$T/in.mbox" >"$T/out" 2>"$T/err"
expect_contains "import again adds nothing" "$T/out" "imported 0, already there 60"

p folders >"$T/out"
expect_contains "folders TSV: total and unread (Status: RO read)" "$T/out" "$(printf 'arch\tINBOX\t60\t40')"

p list --limit 5 >"$T/out"
expect_status "list" 0 "$?"
lines=$(wc -l <"$T/out")
expect_status "list --limit 5 prints 5 lines" 5 "$lines"
if [ "$(cut -f2 "$T/out" | sort -r)" = "$(cut -f2 "$T/out")" ]; then t_ok "list is newest first"; else t_fail "list is not newest first"; fi
expect_contains "list: id column" "$T/out" "id:gen-1-"
p list --json --limit 0 --account arch --folder INBOX >"$T/json"
n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d)); assert all(k in d[0] for k in ("id","date","from","subject","flags","size","local","account","folder"))' "$T/json")
expect_status "list --json: 60 objects with the documented keys" 60 "$n"

p search 'from:grace' --json --limit 0 >"$T/json"
if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d and all("Grace" in m["from"] for m in d)' "$T/json"; then
	t_ok "search by sender"; else t_fail "search by sender"; fi
p search 'tag:unread and not tag:unread' >"$T/out"
expect_status "an empty result is not an error" 0 "$?"
p search 'subject:(' >"$T/out" 2>"$T/err"
st=$?
if [ "$st" = 0 ] || [ "$st" = 1 ]; then t_ok "a malformed query gives an answer, not a crash ($st)"; else t_fail "malformed query: status $st"; fi

# a Maildir source with flags, and hostile headers
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp"
printf 'From: =?utf-8?b?G10wO293bmVkBw==?= <evil@example.org>\nSubject: \033]0;pwned\007 \033[2J hi\nMessage-ID: <evil@x>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nbody\n' >"$T/md/cur/1:2,FS"
printf 'From: a@example.org\nSubject: new one\nMessage-ID: <new@x>\n\nbody\n' >"$T/md/new/2"
p import other Lists/dev "$T/md" >"$T/out" 2>"$T/err"
expect_status "import of a Maildir into a nested folder" 0 "$?"
p list --account other >"$T/out"
expect_contains "flags from the Maildir name (flagged, seen)" "$T/out" "$(printf '\tF\t')"
expect_contains "new/ is unread" "$T/out" "$(printf '\tN\t')"
if grep -q $'\033' "$T/out" || grep -q $'\007' "$T/out"; then t_fail "raw ESC/BEL reached the output"; else t_ok "no raw control bytes in list output"; fi
expect_contains "escapes shown visibly" "$T/out" "^[]0;pwned^G"
p list --account other --json >"$T/json"
if grep -q $'\033' "$T/json"; then t_fail "raw ESC in JSON"; else t_ok "no raw ESC in JSON"; fi
p folders other >"$T/out"
expect_contains "nested folder listed" "$T/out" "$(printf 'other\tLists/dev\t2\t1')"

# show and save
id=$(p list --account other --limit 1 --folder Lists/dev | grep -v 'new one' | cut -f1)
[ -n "$id" ] || id=id:evil@x
p show id:evil@x >"$T/out" 2>"$T/err"
expect_status "show" 0 "$?"
expect_contains "show: decoded headers, escapes visible" "$T/out" "Subject: ^[]0;pwned^G ^[[2J hi"
if grep -q $'\033' "$T/out"; then t_fail "raw ESC in show output"; else t_ok "no raw ESC in show output"; fi
p show --headers all id:evil@x >"$T/out"
expect_contains "show --headers all" "$T/out" "Message-ID:"
p show --raw id:evil@x >"$T/raw"
if grep -q $'\033' "$T/raw"; then t_ok "--raw to a file gives the original bytes"; else t_fail "--raw lost bytes"; fi
p show id:no-such-message >"$T/out" 2>"$T/err"
expect_status "show of an unknown id" 1 "$?"
expect_contains "unknown id named" "$T/err" "no message with id no-such-message"
att=$PETREL_SRC/tests/corpus
cat >"$T/att.eml" <<'MSG'
From: a@example.org
Subject: with attachment
Message-ID: <att@x>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=XX

--XX
Content-Type: text/plain

see attached
--XX
Content-Type: application/octet-stream; name="../../evil.sh"
Content-Disposition: attachment; filename="../../evil.sh"
Content-Transfer-Encoding: base64

ZWNobyBoaQo=
--XX--
MSG
p import arch INBOX "$T/att.eml" >/dev/null 2>&1
p show id:att@x >"$T/out"
expect_contains "attachment listed" "$T/out" "evil.sh"
mkdir -p "$T/save"
p save id:att@x 2 "$T/save" >"$T/out" 2>"$T/err"
expect_status "save" 0 "$?"
saved=$(cat "$T/out")
case "$saved" in "$T/save/"*) t_ok "saved inside the folder ($saved)";; *) t_fail "saved outside: $saved";; esac
if [ "$(cat "$saved" 2>/dev/null)" = "echo hi" ]; then t_ok "attachment bytes decoded"; else t_fail "attachment bytes wrong"; fi
[ ! -e "$T/evil.sh" ] && t_ok "no traversal" || t_fail "file written outside the folder"
p save id:att@x 2 "$T/save" >"$T/out" 2>"$T/err"
expect_status "no silent overwrite" 1 "$?"
expect_contains "overwrite refused with a reason" "$T/err" "already exists"
p save id:att@x 2 "$T/save" --force >"$T/out" 2>"$T/err"
expect_status "overwrite with --force" 0 "$?"
p save id:att@x 9 "$T/save" >"$T/out" 2>"$T/err"
expect_status "no such part" 1 "$?"

# bad input
p import nobody INBOX "$T/in.mbox" >"$T/out" 2>"$T/err"
expect_status "unknown account refused" 2 "$?"
expect_contains "unknown account named" "$T/err" "no account called 'nobody'"
p import arch ../escape "$T/in.mbox" >"$T/out" 2>"$T/err"
expect_status "folder name with .. refused" 2 "$?"
p import arch INBOX "$T/missing" >"$T/out" 2>"$T/err"
expect_status "missing source refused" 2 "$?"
expect_contains "missing source named" "$T/err" "cannot read $T/missing"
printf 'no headers here, just words\n' >"$T/junk.eml"
p import arch INBOX "$T/junk.eml" >"$T/out" 2>"$T/err"
expect_status "a file that is not mail is reported" 1 "$?"
expect_contains "not-mail reason" "$T/err" "not a mail message"
p list --limit x >"$T/out" 2>"$T/err"
expect_status "bad --limit" 2 "$?"

# files are private
mode=$(stat -c %a "$T/data")
expect_status "data dir is 0700" 700 "$mode"
f=$(find "$T/data/mail/arch/INBOX/cur" -type f | head -1)
expect_status "message files are 0600" 600 "$(stat -c %a "$f")"

# a store that does not exist yet reads as empty
printf 'data-dir = %s/none\n[account a]\n' "$T" >"$T/empty.conf"; chmod 600 "$T/empty.conf"
"$petrel" -c "$T/empty.conf" list >"$T/out" 2>"$T/err"
expect_status "list on an empty store" 0 "$?"
finish
