#!/usr/bin/env bash
# The demo, from a fresh Debian 12 machine: installs what is missing (as
# root), builds petrel, starts throwaway mail servers on 127.0.0.1 with sample
# mail, writes a petrel config for them into a temp dir, runs petrel, and
# stops the servers when petrel exits.
set -euo pipefail
cd "$(dirname "$0")"
repo=$(pwd)

./scripts/deps.sh --test
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null

D=$(mktemp -d /tmp/petrel-demo.XXXXXX)
chmod 755 "$D"  # the servers run as an unprivileged user and must reach it
cleanup() {
	tests/servers/stop.sh "$D/servers" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "demo: starting mail servers..."
PETREL_START_QUIET=1 tests/servers/start.sh "$D/servers"
# shellcheck disable=SC1091
. "$D/servers/env"
tests/servers/load-mail.sh "$D/servers" alice INBOX 300 tests/corpus/*.eml >/dev/null 2>&1 ||
	echo "demo: (could not load the sample mail)"
tests/servers/load-mail.sh "$D/servers" bob INBOX 40 >/dev/null 2>&1 || true

cat >"$D/config" <<CONF
# petrel demo configuration: servers on this machine, a throwaway test CA.
data-dir = $D/data

[account demo]
email = alice@example.org
name = Alice Example
imap = imaps://localhost:$PETREL_TEST_IMAPS_PORT
smtp = smtp://localhost:$PETREL_TEST_SUBMISSION_PORT
user = alice
password-command = echo $PETREL_TEST_ALICE_PASS
tls-ca-file = $PETREL_TEST_CA

[account pop]
email = bob@example.org
pop3 = pop3s://localhost:$PETREL_TEST_POP3S_PORT
smtp = smtps://localhost:$PETREL_TEST_SMTPS_PORT
user = bob
password-command = echo $PETREL_TEST_BOB_PASS
tls-ca-file = $PETREL_TEST_CA
CONF
chmod 600 "$D/config"

echo "demo: config written to $D/config"
echo "demo: \$ petrel -c $D/config check"
"$repo/build/petrel" -c "$D/config" check || true
echo
echo "demo: \$ petrel -c $D/config sync demo"
"$repo/build/petrel" -c "$D/config" sync demo || true
echo
echo "demo: \$ petrel -c $D/config list --limit 15"
"$repo/build/petrel" -c "$D/config" list --limit 15 || true
if [ -t 0 ] && [ -t 1 ]; then
	"$repo/build/petrel" -c "$D/config" || true
	echo
	echo "demo: the servers stay up until you press Enter (try: $repo/build/petrel -c $D/config check)"
	read -r _ || true
fi
