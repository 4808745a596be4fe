#!/usr/bin/env bash
# The pager's tools: the source view (H) goes through the sanitizer even for
# hostile mail (no title change, no OSC 52 reaching tmux, ^[ shown); the link
# list (U) offers only clean http/https/mailto links, copies one with OSC 52
# (checked in tmux's paste buffer) and opens one with url-command (one
# argument, no shell); "|" pipes the message, and in the attachment list a
# decoded part, into a typed command, with the data on stdin only.
set -u
petrel=$1
. "$PETREL_SRC/tests/lib.sh"
. "$PETREL_SRC/tests/tui/lib.sh"
tui_setup
mkdir -p "$T/home/.config" "$T/links"
cat >"$T/opener" <<SH
#!/bin/sh
printf '%s\n' "\$@" >"$T/opened"
SH
chmod +x "$T/opener"
printf 'data-dir = %s/data\nurl-command = %s --new-tab\n[account local]\n' "$T" "$T/opener" \
	>"$T/config"
chmod 600 "$T/config"
python3 "$PETREL_SRC/tests/tui/mkmail.py" "$T/new"
python3 - "$T/links/links.eml" <<'PY'
import sys
long = "https://long.example/" + "a" * 3000
body = f"""From: Links <links@example.org>
To: alice@example.org
Subject: Links to follow
Date: Mon, 01 Jan 2001 00:00:00 +0000
Message-ID: <tui-links@petrel.test>
Content-Type: text/plain; charset=utf-8

Read https://example.org/a?b=1&c=2 first.
Then (see https://example.net/wiki/Foo_(bar)) and mail mailto:bob@example.org.
Plain www.example.com is no link, nor is ftp://example.com/x.
Sneaky: https://evil.example/x\x1b]52;c;cHduZWQ=\x07y
Too long: {long}
Again https://example.org/a?b=1&c=2 (a duplicate).
"""
open(sys.argv[1], "w").write(body)
PY
"$petrel" -c "$T/config" import local INBOX "$T/new" >/dev/null 2>&1
"$petrel" -c "$T/config" import local Links "$T/links" >/dev/null 2>&1
for f in osc52-encoded-bodies esc-raw-headers c1-controls; do
	"$petrel" -c "$T/config" import local Hostile "$PETREL_SRC/tests/corpus/$f.eml" \
		>/dev/null 2>&1
done

tui_start 120 40 "$petrel" -c "$T/config"
tui_tmux set-option -g set-clipboard on >/dev/null
tui_tmux select-pane -T "petrel-test-title"
tui_expect "starts" "local/INBOX"

# the source view of hostile mail
tui_keys : "folders.open local/Hostile" Enter
tui_expect "the hostile folder opens" "local/Hostile  1/3"
tui_keys Enter
seen=0
for i in 1 2 3; do
	tui_wait "(" 5 >/dev/null
	tui_keys H
	tui_expect "message $i: the source view says so" "[source]"
	tui_screen >"$T/src$i"
	tui_keys G
	sleep 0.1
	tui_screen >>"$T/src$i"
	grep -qF '^[' "$T/src$i" && seen=$((seen + 1))
	tui_keys H
	tui_expect_not "message $i: H again shows the message" "[source]"
	tui_keys J
done
if [ "$seen" -ge 2 ]; then t_ok "escapes in the source show as ^[ ($seen messages)"
else t_fail "expected ^[ in the source of the escape messages, saw $seen"; fi
title=$(tui_tmux display -p '#{pane_title}')
if [ "$title" = "petrel-test-title" ]; then t_ok "the pane title is unchanged"
else t_fail "the pane title changed to '$title'"; fi
if [ -z "$(tui_tmux list-buffers 2>/dev/null)" ]; then t_ok "no paste buffer from the sources"
else t_fail "paste buffers after the sources: $(tui_tmux list-buffers)"; fi
tui_keys q

# the link list
tui_keys : "folders.open local/Links" Enter
tui_expect "the links folder opens" "local/Links  1/1"
tui_keys Enter
tui_expect "the links message opens" "Read https://example.org"
tui_keys H
tui_expect "the source of the sneaky link shows ^[" "evil.example/x^[]52"
tui_keys H U
tui_expect "U lists the links" "Links of this message"
tui_screen >"$T/links.screen"
expect_contains "the first link" "$T/links.screen" "1 https://example.org/a?b=1&c=2"
expect_contains "parentheses kept when balanced" "$T/links.screen" \
	"2 https://example.net/wiki/Foo_(bar)"
expect_contains "mailto" "$T/links.screen" "3 mailto:bob@example.org"
expect_contains "an escape ends a link" "$T/links.screen" "4 https://evil.example/x"
n=$(grep -cE '│ +[0-9]+ (https?|mailto):' "$T/links.screen")
if [ "$n" = 4 ]; then t_ok "no duplicate, no over-long link, no ftp or bare www"
else t_fail "expected 4 links, saw $n:"; sed 's/^/    # /' "$T/links.screen"; fi
tui_keys Enter
tui_expect "Enter copies" "copied https://example.org/a?b=1&c=2"
for i in $(seq 1 50); do [ -n "$(tui_tmux list-buffers 2>/dev/null)" ] && break; sleep 0.1; done
if [ "$(tui_tmux show-buffer 2>/dev/null)" = "https://example.org/a?b=1&c=2" ]; then
	t_ok "OSC 52 put the link in tmux's buffer"
else t_fail "tmux buffer holds '$(tui_tmux show-buffer 2>/dev/null)'"; fi
tui_keys j j j Enter
tui_expect "the cut link copies as shown" "copied https://evil.example/x"
sleep 0.3
if [ "$(tui_tmux show-buffer 2>/dev/null)" = "https://evil.example/x" ]; then
	t_ok "the copied link stops before the escape"
else t_fail "tmux buffer holds '$(tui_tmux show-buffer 2>/dev/null | od -c | head -3)'"; fi
tui_keys k o
tui_expect "o opens with url-command" "opened mailto:bob@example.org"
for i in $(seq 1 50); do [ -s "$T/opened" ] && break; sleep 0.1; done
if [ "$(cat "$T/opened" 2>/dev/null)" = "$(printf -- '--new-tab\nmailto:bob@example.org')" ]; then
	t_ok "url-command got its words and the link as one argument"
else t_fail "url-command got: $(cat "$T/opened" 2>/dev/null)"; fi
title=$(tui_tmux display -p '#{pane_title}')
[ "$title" = "petrel-test-title" ] && t_ok "title still unchanged" || t_fail "title: $title"
tui_keys q
tui_expect "q goes back to the pager" "Read https://example.org"

# pipes: the message (its source) and a decoded part
tui_keys '|' "cat > '$T/piped'" Enter
tui_expect "the command ran; petrel waits for Enter" "press Enter to go back to petrel"
tui_keys Enter
tui_expect "back in petrel after the pipe" "piped the message"
if grep -q "^Message-ID: <tui-links@petrel.test>" "$T/piped" 2>/dev/null &&
   grep -q "Sneaky: https://evil.example/x" "$T/piped"; then
	t_ok "the message went to the command's stdin"
else t_fail "piped file wrong or missing"; fi
tui_keys q : "folders.open local/INBOX" Enter
tui_expect "INBOX again" "local/INBOX  1/3"
tui_keys Enter v
tui_expect "the attachment list" "report.pdf"
tui_keys '|' "cat > '$T/part'; exit 3" Enter
tui_expect "a failing command is reported" "the command ended with status 3"
tui_keys Enter
tui_expect "the message line says so" "piped part 2 (the command failed)"
if [ "$(cat "$T/part" 2>/dev/null)" = "%PDF-1.4 petrel test report" ]; then
	t_ok "the decoded part went to the command"
else t_fail "part file wrong or missing"; fi
tui_keys q q q
tui_expect "quits" "EXITED 0"
if [ ! -s "$T/stderr" ]; then t_ok "nothing on stderr"; else t_fail "stderr:"; sed 's/^/    # /' "$T/stderr"; fi
finish
