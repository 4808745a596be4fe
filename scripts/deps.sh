#!/usr/bin/env bash
# Install what petrel needs to build (and, with --test, to run its test suite)
# from Debian's packages, only when something is missing. Needs root for apt-get.
set -euo pipefail

build_pkgs=(meson ninja-build pkg-config gcc libncurses-dev libgnutls28-dev
            libetpan-dev libnotmuch-dev zlib1g-dev)
test_pkgs=(libcmocka-dev gnutls-bin dovecot-imapd dovecot-pop3d dovecot-lmtpd
           postfix libsasl2-modules courier-base courier-authdaemon
           courier-authlib-userdb gamin tmux python3 notmuch valgrind procps
           clang libclang-rt-14-dev)  # libFuzzer for tests/fuzz

want=("${build_pkgs[@]}")
[ "${1:-}" = "--test" ] && want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
		|| missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run as root, or install them with apt-get" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# System services that come with the server packages must not start: the tests run
# their own private instances. policy-rc.d tells invoke-rc.d to leave them alone.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made_policy=1
fi
cleanup() { [ "$made_policy" = 1 ] && rm -f "$policy"; return 0; }
trap cleanup EXIT
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
