#!/usr/bin/env bash
# Put N generated messages plus the given .eml files into USER's folder on
# the test Dovecot of DIR, writing the Maildir directly (fast: 100,000
# messages in seconds). FOLDER is the IMAP name ("INBOX", "Archive",
# "Lists.petrel"); it is created (and subscribed) if missing.
# Usage: load-mail.sh DIR USER FOLDER N [FILE.eml ...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
die() { echo "load-mail.sh: $*" >&2; exit 1; }
[ $# -ge 4 ] || die "usage: load-mail.sh DIR USER FOLDER N [FILE.eml ...]"
dir=$1 user=$2 folder=$3 n=$4
shift 4
[[ $n =~ ^[0-9]+$ ]] || die "N must be a number, not '$n'"
conf=$dir/dovecot/dovecot.conf
[ -f "$conf" ] || die "no test servers in $dir (no $conf)"
for f in "$@"; do [ -r "$f" ] || die "cannot read $f"; done

dv() { doveadm -c "$conf" "$@"; }
dv user "$user" >/dev/null 2>&1 || die "no such user: $user"
# Let Dovecot create the folder, so its name is encoded (mUTF-7) and the
# mailbox list index updated as Dovecot does it.
if [ "$folder" != INBOX ] && ! dv mailbox status -u "$user" messages "$folder" >/dev/null 2>&1; then
	dv mailbox create -s -u "$user" "$folder"
fi
path=$(dv mailbox path -u "$user" "$folder")
[ -d "$path" ] || die "folder $folder of $user has no directory ($path)"
for sub in cur new tmp; do
	[ -d "$path/$sub" ] || mkdir -p "$path/$sub"
done
# Owned like the user's INBOX (the mail uid), in case we made cur/new/tmp.
owner=$(stat -c %u:%g "$(dv mailbox path -u "$user" INBOX)")
chown "$owner" "$path" "$path/cur" "$path/new" "$path/tmp"

python3 "$here/gen-mail.py" "$path" "$n" "$@"
# Make Dovecot sync now (assign UIDs, index), and report the total.
dv mailbox status -u "$user" messages "$folder"
