# shellcheck shell=bash disable=SC2154,SC2034  # variables shared with start.sh
# Sourced by start.sh: a private Postfix instance under $D/postfix.
# Needs from start.sh: D C inst here die log record_pid p_lmtp p_auth
# p_submission p_smtps p_smtp_notls. Sets smtp_size_limit, postfix_log,
# postfix_job; start.sh calls postfix_started later.
#
# `postfix -c DIR` needs alternate_config_directories in the system's
# main.cf only for non-root users (set-gid postdrop/sendmail); start.sh runs
# as root and mail comes in by SMTP only, so nothing under /etc/postfix is
# read for configuration or changed.

P=$D/postfix
smtp_size_limit=5242880
postfix_log=$D/postfix.log
# Queue and data outside the config directory: postfix check wants every
# file under the config directory owned by root.
Q=$D/postfix-queue
mkdir -p "$P" "$Q" "$D/postfix-data"
chown postfix "$D/postfix-data"

cat >"$P/main.cf" <<EOF
# Private Postfix instance of petrel's test servers.
compatibility_level = 3.6
queue_directory = $Q
data_directory = $D/postfix-data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = localhost
mydomain = localdomain
myorigin = example.org
mynetworks = 127.0.0.1/32
# Nothing is delivered locally or relayed anywhere.
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery disabled
relay_domains =
relayhost =
default_transport = error:5.7.1 no mail leaves this test server
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
# Only example.org, delivered by LMTP into the private Dovecot.
virtual_mailbox_domains = example.org
virtual_mailbox_maps = inline:{ alice@example.org=alice, bob@example.org=bob }
virtual_transport = lmtp:inet:127.0.0.1:$p_lmtp
# Anything not for example.org gets 554 at RCPT, authenticated or not;
# only authenticated clients may send at all.
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:127.0.0.1:$p_auth
smtpd_sasl_auth_enable = no
smtpd_tls_chain_files = $C/server-key.pem, $C/good.pem
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_banner = \$myhostname ESMTP petrel-test
message_size_limit = $smtp_size_limit
maillog_file = $postfix_log
maillog_file_prefixes = $D
# The marker lets stop.sh find every process of this instance.
import_environment = MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C PETREL_TEST_INSTANCE=$inst-postfix
EOF

# Services: same programs as Debian's master.cf, but never chrooted and with
# our three listeners instead of port 25.
cat >"$P/master.cf" <<EOF
127.0.0.1:$p_submission inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:$p_smtps inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:$p_smtp_notls inet n - n - - smtpd
  -o syslog_name=postfix/notls
  -o smtpd_tls_security_level=none
  -o smtpd_tls_auth_only=no
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF

log "starting postfix"
# `postfix start` takes a second or two (its checks): run it in the
# background while the other servers start; postfix_started waits for it.
PETREL_TEST_INSTANCE=$inst-postfix postfix -c "$P" start >"$P/start.out" 2>&1 9>&- &
postfix_job=$!

postfix_started() {
	local job=$postfix_job pid
	postfix_job=
	wait "$job" || die "postfix failed to start: $(cat "$P/start.out")"
	pid=$(tr -d ' ' <"$Q/pid/master.pid" 2>/dev/null) || die "postfix wrote no master.pid"
	record_pid "$D" postfix "$pid" || die "postfix master exited at once (see $postfix_log)"
}
