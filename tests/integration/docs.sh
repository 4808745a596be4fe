#!/usr/bin/env bash
# The man pages cannot drift from the code: every option of the table is
# documented in petrel.conf(5) and nothing else is, and every subcommand is
# in petrel(1).  Runs without servers.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

"$petrel" options --names | sort >"$T/code"
# options are documented as ".TP" followed by ".B name" in the OPTIONS sections
awk '/^\.SH/{s=$0} s ~ /OPTIONS/ && prev==".TP" && /^\.B /{n=$2; gsub(/\\/, "", n); print n} {prev=$0}' \
	"$PETREL_SRC/doc/petrel.conf.5" | sort >"$T/doc"
if diff -u "$T/code" "$T/doc" >"$T/diff"; then
	t_ok "petrel.conf.5 documents exactly the options of the table"
else
	t_fail "petrel.conf.5 and the option table differ (- code, + doc):"
	sed 's/^/    # /' "$T/diff"
fi
for cmd in $("$petrel" --help | awk '/^commands:/{on=1; next} on && /^  [a-z]/{print $1}'); do
	if grep -q "^\.B petrel.*$cmd\|^\.SS $cmd\|^\.TP\n\.B $cmd" "$PETREL_SRC/doc/petrel.1" ||
	   grep -qE "^\.SS \"?$cmd" "$PETREL_SRC/doc/petrel.1"; then
		t_ok "petrel.1 documents '$cmd'"
	else
		t_fail "petrel.1 lacks a section (.SS $cmd) for '$cmd'"
	fi
done
for f in petrel.1 petrel.conf.5; do
	if man --warnings -l "$PETREL_SRC/doc/$f" >/dev/null 2>"$T/warn" && [ ! -s "$T/warn" ]; then
		t_ok "$f formats without warnings"
	elif ! command -v man >/dev/null; then
		t_ok "$f: man not installed, formatting not checked"
	else
		t_fail "$f: man warnings:"; sed 's/^/    # /' "$T/warn"
	fi
done
finish
