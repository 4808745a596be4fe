#!/usr/bin/env bash
# POP3 accounts against the real Dovecot: a 500-message drain in delete
# mode (all stored byte-identical, the server empty), keep mode (nothing
# fetched twice, server-side deletions, pop3-delete-after with a moved
# clock, pop3-delete-with-local), header-first newest-first with bodies on
# demand and pop3-max-size, a server that renumbers its UIDLs, a connection
# cut mid-RETR, and `petrel check`.  What Dovecot will not do (no UIDL,
# -ERR in the middle of a drain, a short RETR, an answer that is not POP3)
# comes from tests/integration/pop3_fake.py.
#
# Byte-identical means: the stored file is the message as RETR delivers it,
# with CRLF line ends; Dovecot keeps LF in its Maildir, so files are
# compared with line ends normalised.
#
# Uses Dovecot user carol, whose mailbox only the POP3 tests touch.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
need_servers
if [ -z "${PETREL_TEST_CAROL_PASS:-}" ]; then
	echo "SKIP: the test servers have no user carol (restart them)"
	exit 77
fi
T=$(mktemp -d)
fake_pid=
proxy_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null
	[ -z "$proxy_pid" ] || kill "$proxy_pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
H=$PETREL_TEST_HOST
MD=$PETREL_TEST_MAIL_ROOT/carol/Maildir
dv() { doveadm -c "$PETREL_TEST_DOVECOT_CONF" "$@"; }
empty() { dv expunge -u carol mailbox INBOX all; }
load() { "$PETREL_SRC/tests/servers/load-mail.sh" "$PETREL_TEST_DIR" carol INBOX "$1" >/dev/null 2>&1; }
on_server() { dv mailbox status -u carol messages INBOX | sed 's/.*=//'; }

conf() {  # conf NAME URL [extra lines]
	local name=$1 url=$2; shift 2
	{ echo "data-dir = $T/$name"; echo "[account $name]"; echo "email = carol@example.org"
	  echo "pop3 = $url"; echo "user = carol"; echo "password-command = echo $PETREL_TEST_CAROL_PASS"
	  echo "tls-ca-file = $PETREL_TEST_CA"; echo "timeout = 10s"; printf '%s\n' "$@"; } >"$T/$name.conf"
	chmod 600 "$T/$name.conf"
}
P() { local name=$1; shift; "$petrel" -c "$T/$name.conf" "$@"; }
files() { find "$T/$1/mail/$1" -path '*/cur/*' -o -path '*/new/*' | grep -v '/\.' ; }
nfiles() { files "$1" | wc -l; }
nlisted() { P "$1" list --account "$1" --limit 0 | wc -l; }
# same_bytes NAME REFDIR: every stored file is a message of REFDIR, line ends aside
same_bytes() {
	python3 - "$T/$1/mail/$1" "$2" <<'PY'
import glob, os, sys
ref = {}
for f in glob.glob(os.path.join(sys.argv[2], "*")):
    ref[open(f, "rb").read().replace(b"\r\n", b"\n")] = f
stored = glob.glob(os.path.join(sys.argv[1], "*", "cur", "*"))
crlf = sum(b"\r\n" in open(f, "rb").read() for f in stored)
same = sum(open(f, "rb").read().replace(b"\r\n", b"\n") in ref for f in stored)
print(len(stored), same, crlf)
PY
}
snapshot() { rm -rf "$T/ref"; mkdir -p "$T/ref"; cp "$MD"/cur/* "$MD"/new/* "$T/ref/" 2>/dev/null; }

POP3S="pop3s://$H:$PETREL_TEST_POP3S_PORT"

# ---- petrel check
conf chk "pop3://$H:$PETREL_TEST_POP3_PORT"
P chk check >"$T/out" 2>&1
expect_status "check: POP3 with STLS, login" 0 "$?"
expect_contains "check: UIDL offered" "$T/out" "UIDL"
empty; load 3
P chk sync >"$T/out" 2>"$T/err"
expect_status "sync over STLS" 0 "$?"
expect_contains "sync over STLS: 3 new" "$T/out" "3 on the server, 3 new"

# ---- delete mode: 500 messages drained
empty; load 500; snapshot
conf dm "$POP3S" "pop3-mode = delete"
start=$(date +%s%N)
P dm sync >"$T/out" 2>"$T/err"
expect_status "drain of 500 messages" 0 "$?"
echo "# drained 500 messages in $(( ($(date +%s%N) - start) / 1000000 )) ms"
expect_contains "drain: all new, all deleted" "$T/out" "INBOX: 500 on the server, 500 new, 0 bodies, 500 deleted from the server"
expect_status "drain: server mailbox empty" 0 "$(on_server)"
read -r n same crlf < <(same_bytes dm "$T/ref")
expect_status "drain: 500 files stored" 500 "$n"
expect_status "drain: each byte-identical to Dovecot's (line ends aside)" 500 "$same"
expect_status "drain: stored as RETR gives them (CRLF)" 500 "$crlf"
expect_status "drain: all 500 listed" 500 "$(nlisted dm)"
P dm sync >"$T/out" 2>"$T/err"
expect_contains "drain: a second sync finds nothing" "$T/out" "INBOX: 0 on the server, 0 new"

# ---- keep mode
empty; load 40
conf kp "$POP3S" "prefetch = 0"
P kp sync >"$T/out" 2>"$T/err"
expect_status "keep: first sync" 0 "$?"
expect_contains "keep: 40 new, none deleted" "$T/out" "40 on the server, 40 new, 0 bodies, 0 deleted"
P kp sync >"$T/out" 2>"$T/err"
expect_contains "keep: second sync downloads nothing" "$T/out" "40 on the server, 0 new, 0 bodies, 0 deleted"
expect_status "keep: mail still on the server" 40 "$(on_server)"
dv expunge -u carol mailbox INBOX 1:5
P kp sync >"$T/out" 2>"$T/err"
expect_contains "keep: server-side deletion leaves the bookkeeping" "$T/out" "35 on the server, 0 new, 0 bodies, 0 deleted from the server, 5 no longer on the server"
expect_status "keep: records of 35 messages" 35 "$(grep -vc '^#' "$T/kp/mail/kp/.petrel-pop3")"
expect_status "keep: all 40 still here" 40 "$(nlisted kp)"
id=$(P kp list --account kp --limit 0 | tail -1 | cut -f1)
P kp show "$id" >"$T/out" 2>"$T/err"
expect_status "keep: a message gone from the server is readable" 0 "$?"
expect_not_contains "keep: ... whole" "$T/out" "not downloaded"

# pop3-delete-after, with the clock moved by PETREL_TEST_NOW
now=$(date +%s)
load 5
conf kp "$POP3S" "prefetch = 0" "pop3-delete-after = 10d"
PETREL_TEST_NOW=$((now + 5 * 86400)) P kp sync >"$T/out" 2>"$T/err"
expect_contains "delete-after: 5 days on, the new ones fetched, nothing deleted" "$T/out" "40 on the server, 5 new, 0 bodies, 0 deleted"
PETREL_TEST_NOW=$((now + 11 * 86400)) P kp sync >"$T/out" 2>"$T/err"
expect_contains "delete-after: 11 days on, the 35 older ones deleted" "$T/out" "40 on the server, 0 new, 0 bodies, 35 deleted from the server"
expect_status "delete-after: 5 left on the server" 5 "$(on_server)"
expect_status "delete-after: all 45 still here" 45 "$(nlisted kp)"

# pop3-delete-with-local: one file removed, one marked deleted (T)
conf kp "$POP3S" "prefetch = 0" "pop3-delete-with-local = yes"
P kp sync >/dev/null 2>&1
mapfile -t newest < <(ls -t "$T/kp/mail/kp/INBOX/cur" | head -2)
rm "$T/kp/mail/kp/INBOX/cur/${newest[0]}"
mv "$T/kp/mail/kp/INBOX/cur/${newest[1]}" "$T/kp/mail/kp/INBOX/cur/${newest[1]}T"
P kp sync >"$T/out" 2>"$T/err"
expect_contains "delete-with-local: both deleted on the server" "$T/out" "5 on the server, 0 new, 0 bodies, 2 deleted from the server"
expect_status "delete-with-local: 3 left on the server" 3 "$(on_server)"

# ---- header-first, newest first; bodies on demand
empty; load 300; snapshot
conf hf "$POP3S" "pop3-headers-first = yes" "prefetch = 0"
PETREL_DEBUG="$T/hf.log" P hf sync >"$T/out" 2>"$T/err"
expect_status "header-first sync" 0 "$?"
expect_contains "header-first: 300 as headers" "$T/out" "300 on the server, 300 new (300 headers only), 0 bodies"
tops=$(grep -o '> TOP [0-9]*' "$T/hf.log" | head -50 | awk '{print $3}' | tr '\n' ' ')
expect_status "header-first: the first 50 TOPs are the newest, newest first" "$(seq 300 -1 251 | tr '\n' ' ')" "$tops"
first_top=$(grep -n '> TOP' "$T/hf.log" | head -1 | cut -d: -f1)
first_list=$(grep -n '> LIST$' "$T/hf.log" | head -1 | cut -d: -f1)
[ "$first_top" -lt "$first_list" ] && t_ok "header-first: the newest before the full listing" ||
	t_fail "header-first: TOP at line $first_top, LIST at $first_list"
expect_status "header-first: all 300 remote" 300 "$(P hf list --account hf --limit 0 | grep -c 'remote$')"
newest=$(ls -t "$T/ref" | head -1)
nid=$(grep -i -m1 '^Message-ID:' "$T/ref/$newest" | sed 's/.*<\(.*\)>.*/\1/')
P hf list --account hf --limit 1 >"$T/out"
expect_contains "header-first: the newest lists first" "$T/out" "id:$nid"
P hf show "id:$nid" >"$T/out" 2>"$T/err"
expect_status "header-first: show fetches the body" 0 "$?"
expect_not_contains "header-first: ... and shows it" "$T/out" "not downloaded"
P hf list --account hf --limit 1 >"$T/out"
expect_contains "header-first: now local" "$T/out" "local"
P hf show --raw "id:$nid" | tr -d '\r' | cmp -s - "$T/ref/$newest" &&
	t_ok "header-first: fetched body byte-identical (line ends aside)" ||
	t_fail "header-first: fetched body differs from Dovecot's"
expect_status "header-first keep mode: nothing deleted" 300 "$(on_server)"
# the prefetch budget fetches bodies in the same sync
conf hp "$POP3S" "pop3-headers-first = yes" "prefetch = 3650d"
P hp sync >"$T/out" 2>"$T/err"
expect_contains "header-first + prefetch: every body follows" "$T/out" "300 new (300 headers only), 300 bodies"
expect_status "header-first + prefetch: all local" 300 "$(P hp list --account hp --limit 0 | grep -c 'local$')"

# pop3-max-size in delete mode: big messages stay on the server as headers
empty; load 60
# sizes as POP3 counts them: CRLF line ends
big=$(python3 -c 'import glob,sys; print(sum(len(open(f,"rb").read().replace(b"\n",b"\r\n")) > 1024 for f in glob.glob(sys.argv[1]+"/cur/*")+glob.glob(sys.argv[1]+"/new/*")))' "$MD")
conf mx "$POP3S" "pop3-mode = delete" "pop3-max-size = 1K"
P mx sync >"$T/out" 2>"$T/err"
expect_status "max-size: sync" 0 "$?"
expect_contains "max-size: the big ones as headers" "$T/out" "($big headers only)"
expect_status "max-size: the big ones stay on the server" "$big" "$(on_server)"
bid=$(P mx list --account mx --limit 0 | grep 'remote$' | head -1 | cut -f1)
P mx show "$bid" >"$T/out" 2>"$T/err"
expect_not_contains "max-size: show fetches one" "$T/out" "not downloaded"
expect_status "max-size: ... and in delete mode deletes it from the server" "$((big - 1))" "$(on_server)"

# ---- the server renumbers its UIDLs (Dovecot: a new UIDVALIDITY)
empty; load 20
conf rn "$POP3S" "prefetch = 0"
P rn sync >/dev/null 2>&1
dv mailbox update -u carol --uid-validity $((now % 100000 + 7)) INBOX
P rn sync >"$T/out" 2>"$T/err"
expect_status "new UIDLs: sync works" 0 "$?"
expect_contains "new UIDLs: recognised, said so" "$T/out" "20 already here (not stored twice); the server seems to have given its messages new UIDLs"
expect_status "new UIDLs: no duplicate files" 20 "$(nfiles rn)"

# ---- a connection cut in the middle of a RETR (fault proxy)
empty; load 30
python3 "$PETREL_SRC/tests/faultproxy.py" --listen-port 0 --target-port "$PETREL_TEST_POP3S_PORT" \
	--cut-after 12000 --rst >"$T/proxy" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$T/proxy" ] && break; sleep 0.1; done
pport=$(awk '/listening/{print $2}' "$T/proxy")
conf cut "pop3s://$H:$pport" "pop3-mode = delete"
P cut sync >"$T/out" 2>"$T/err"
st=$?
[ "$st" != 0 ] && t_ok "cut: sync fails ($st)" || t_fail "cut: sync succeeded"
expect_contains "cut: says the connection broke, nothing lost" "$T/err" "broke"
expect_status "cut: every message still on the server" 30 "$(on_server)"
kill "$proxy_pid"; proxy_pid=
sed -i "s|^pop3 = .*|pop3 = $POP3S|" "$T/cut.conf"
P cut sync >"$T/out" 2>"$T/err"
expect_status "cut: the next sync drains" 0 "$?"
expect_status "cut: server empty" 0 "$(on_server)"
expect_status "cut: 30 stored, once each" 30 "$(nfiles cut)"

# ---- what a real server will not do: tests/integration/pop3_fake.py
fakes=0
fake() {  # fake DIR [options]: (re)starts the fake server, sets fport
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null
	fakes=$((fakes + 1))
	python3 "$PETREL_SRC/tests/integration/pop3_fake.py" --dir "$@" >"$T/fake$fakes" &
	fake_pid=$!
	for _ in $(seq 50); do [ -s "$T/fake$fakes" ] && break; sleep 0.1; done
	fport=$(awk '{print $2}' "$T/fake$fakes")
}
fconf() {  # fconf NAME [extra]: an account on the fake server (its port now)
	local name=$1; shift
	conf "$name" "pop3://127.0.0.1:$fport" "tls = off" "$@"
}
mkdir -p "$T/fm"
for i in 1 2 3 4 5 6; do
	# a line starting with a dot goes out as "..": it must come back as "."
	printf 'From: a@example.org\nSubject: fake %s\nMessage-ID: <fake%s@example.org>\n\n.dot line %s\n..two dots\n' \
		"$i" "$i" "$i" >"$T/fm/$i.eml"
done
fake "$T/fm" --err-retr 2 --short-retr 4
fconf fe "pop3-mode = delete"
P fe sync >"$T/out" 2>"$T/err"
expect_status "-ERR mid-drain: partly done" 1 "$?"
expect_contains "-ERR mid-drain: says which and why" "$T/err" "message 2: cannot fetch it: the server said: cannot read that message now; it stays on the server"
expect_contains "short RETR: says so" "$T/err" "message 4: the server sent"
expect_status "-ERR / short: those two stay on the server" "2.eml 4.eml" "$(ls "$T/fm" | tr '\n' ' ' | sed 's/ $//')"
f=$(grep -rl 'fake1@' "$T/fe/mail/fe/INBOX/cur")
printf 'From: a@example.org\r\nSubject: fake 1\r\nMessage-ID: <fake1@example.org>\r\n\r\n.dot line 1\r\n..two dots\r\n' |
	cmp -s - "$f" && t_ok "dot-stuffing undone, CRLF kept" || t_fail "dot-stuffing: $(od -c "$f" | tail -4)"
fake "$T/fm"
fconf fe "pop3-mode = delete"
P fe sync >"$T/out" 2>"$T/err"
expect_status "-ERR / short: next sync takes them" 0 "$?"
expect_status "-ERR / short: the fake server is empty" 0 "$(ls "$T/fm" | wc -l)"
expect_status "-ERR / short: 6 stored once each" 6 "$(nfiles fe)"

# an answer that is not POP3: dropped without QUIT, so no DELE is committed
for i in 1 2 3; do printf 'From: b@example.org\nSubject: g%s\nMessage-ID: <g%s@example.org>\n\nx\n' "$i" "$i" >"$T/fm/$i.eml"; done
fake "$T/fm" --garbage-dele 2
fconf fg "pop3-mode = delete"
P fg sync >"$T/out" 2>"$T/err"
[ "$?" != 0 ] && t_ok "garbage answer: sync fails" || t_fail "garbage answer: sync succeeded"
expect_contains "garbage answer: says so" "$T/err" "not POP3"
expect_status "garbage answer: nothing deleted" 3 "$(ls "$T/fm" | wc -l)"
expect_status "garbage answer: all 3 stored" 3 "$(nfiles fg)"
fake "$T/fm"
fconf fg "pop3-mode = delete"
P fg sync >"$T/out" 2>"$T/err"
expect_contains "garbage answer: next sync deletes without fetching again" "$T/out" "3 on the server, 0 new, 0 bodies, 3 deleted"
expect_status "garbage answer: still 3 files" 3 "$(nfiles fg)"

# no UIDL: messages told apart by their headers, and check says so
for i in 1 2 3 4; do printf 'From: c@example.org\nSubject: n%s\nMessage-ID: <n%s@example.org>\n\nx\n' "$i" "$i" >"$T/fm/$i.eml"; done
cp "$T/fm/1.eml" "$T/fm/1b.eml"  # the same headers twice
fake "$T/fm" --no-uidl
fconf nu
P nu check >"$T/out" 2>&1
expect_contains "no UIDL: check says so" "$T/out" "does not offer UIDL"
P nu sync >"$T/out" 2>"$T/err"
expect_status "no UIDL: sync" 0 "$?"
expect_contains "no UIDL: said in the sync" "$T/out" "no UIDL: messages recognised by their headers"
expect_contains "no UIDL: 5 new (one of them already here)" "$T/out" "5 on the server, 4 new"
P nu sync >"$T/out" 2>"$T/err"
expect_contains "no UIDL: second sync downloads nothing" "$T/out" "5 on the server, 0 new"
kill "$fake_pid"; fake_pid=

empty
finish
