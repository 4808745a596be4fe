# Helpers for petrel's shell tests: sourced, not run.  Each check prints one
# "ok"/"not ok" line; finish() exits non-zero if any failed.
t_failed=0
t_count=0

t_ok() { t_count=$((t_count + 1)); echo "ok $t_count - $*"; }
t_fail() { t_count=$((t_count + 1)); t_failed=$((t_failed + 1)); echo "not ok $t_count - $*"; }

# expect_contains NAME FILE TEXT: FILE contains TEXT (fixed string; runs of
# spaces count as one, so column alignment does not matter)
t_squeeze() { tr -s ' ' <"$1"; }
expect_contains() {
	if t_squeeze "$2" | grep -qF -- "$(echo "$3" | tr -s ' ')"; then t_ok "$1"; else
		t_fail "$1: expected '$3' in:"; sed 's/^/    # /' "$2"; fi
}
expect_not_contains() {
	if ! t_squeeze "$2" | grep -qF -- "$(echo "$3" | tr -s ' ')"; then t_ok "$1"; else
		t_fail "$1: did not expect '$3' in:"; sed 's/^/    # /' "$2"; fi
}
# expect_status NAME WANT GOT
expect_status() {
	if [ "$2" = "$3" ]; then t_ok "$1"; else t_fail "$1: exit status $3, expected $2"; fi
}
finish() {
	echo "# $t_count checks, $t_failed failed"
	[ "$t_failed" = 0 ]
}
need_servers() {
	if [ -z "${PETREL_TEST_DIR:-}" ]; then
		echo "SKIP: the test servers are not running (use ./test.sh)"
		exit 77
	fi
}
