#!/usr/bin/env bash
# Start private mail servers for petrel's tests, all under DIR and on
# 127.0.0.1 only, then write DIR/env (export lines). See README.md.
# Usage: start.sh DIR      (DIR must be empty or not exist; run as root)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
repo=$(cd "$here/../.." && pwd -P)
# shellcheck source=lib.sh
. "$here/lib.sh"

die() { echo "start.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: start.sh DIR"
[ "$(id -u)" = 0 ] || die "must run as root (the servers switch users)"
mkdir -p "$1"
D=$(cd "$1" && pwd -P)
[ -z "$(ls -A "$D")" ] || die "$D is not empty"
# Unix socket paths (108 bytes at most) live deep under DIR.
[ ${#D} -le 60 ] || die "$D is too long a path (max 60 characters)"

ok=0
postfix_job=
on_exit() {
	local rc=$?
	# A second INT/TERM must not cut the cleanup short.
	trap '' INT TERM
	if [ "$ok" != 1 ]; then
		# Let a background `postfix start` finish so stop.sh sees its master.
		[ -z "$postfix_job" ] || wait "$postfix_job" 2>/dev/null || true
		echo "start.sh: failed, stopping what was started in $D" >&2
		"$here/stop.sh" "$D" >&2 || true
		[ "$rc" != 0 ] || rc=1
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The servers' unprivileged users must reach files under DIR.
chmod 755 "$D"
mail_user=mail
mail_uid=$(id -u "$mail_user")
mail_gid=$(id -g "$mail_user")
setpriv --reuid="$mail_uid" --regid="$mail_gid" --clear-groups test -x "$D" ||
	die "$D is not reachable by user $mail_user (make its parents o+x)"

# Unique per instance; shows in process titles (ps) of the Dovecots.
inst=petrel-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
echo "$inst" >"$D/instance"
mkdir -p "$D/run"

alice_pass=alice-secret
bob_pass=bob-secret
users=(alice bob)
# carol exists on Dovecot only: her mailbox is the POP3 tests' own (they
# empty and fill it), so they never disturb what other tests do with alice
# and bob.
carol_pass=carol-secret
# dave too (Dovecot only): the OAuth2 and APOP tests' own mailbox.
dave_pass=dave-secret
dovecot_users=("${users[@]}" carol dave)

log() { [ -z "${PETREL_START_QUIET:-}" ] && echo "start.sh: $*" >&2; return 0; }

# ---------------------------------------------------------------- test CA
C=$D/certs
mkdir -p "$C"
certtool_() { certtool "$@" >>"$C/certtool.log" 2>&1 || die "certtool $* failed (see $C/certtool.log)"; }
newkey() { certtool_ --generate-privkey --key-type rsa --bits 2048 --outfile "$1"; }

mkcerts() {
	local yesterday
	yesterday=$(date -u -d '1 day ago' '+%Y-%m-%d %H:%M:%S UTC')
	newkey "$C/ca-key.pem"
	newkey "$C/server-key.pem"
	newkey "$C/selfsigned-key.pem"
	# CA valid from long ago, so the expired cert fails only for its own dates.
	cat >"$C/ca.tmpl" <<-EOF
		cn = "petrel test CA"
		organization = "petrel tests"
		ca
		cert_signing_key
		activation_date = "2015-01-01 00:00:00 UTC"
		expiration_date = "2045-01-01 00:00:00 UTC"
	EOF
	certtool_ --generate-self-signed --load-privkey "$C/ca-key.pem" \
		--template "$C/ca.tmpl" --outfile "$C/ca.pem"

	local server='tls_www_server
signing_key
encryption_key'
	printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
		"$server" "activation_date = \"$yesterday\"" 'expiration_days = 3650' >"$C/good.tmpl"
	printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
		"$server" 'activation_date = "2016-01-01 00:00:00 UTC"' \
		'expiration_date = "2017-01-01 00:00:00 UTC"' >"$C/expired.tmpl"
	printf '%s\n' 'cn = "wrong.example.invalid"' 'dns_name = "wrong.example.invalid"' \
		"$server" "activation_date = \"$yesterday\"" 'expiration_days = 3650' >"$C/wronghost.tmpl"
	printf '%s\n' 'cn = "localhost"' 'dns_name = "localhost"' 'ip_address = "127.0.0.1"' \
		"$server" "activation_date = \"$yesterday\"" 'expiration_days = 3650' >"$C/selfsigned.tmpl"
	local n
	for n in good expired wronghost; do
		certtool_ --generate-certificate --load-privkey "$C/server-key.pem" \
			--load-ca-certificate "$C/ca.pem" --load-ca-privkey "$C/ca-key.pem" \
			--template "$C/$n.tmpl" --outfile "$C/$n.pem"
	done
	certtool_ --generate-self-signed --load-privkey "$C/selfsigned-key.pem" \
		--template "$C/selfsigned.tmpl" --outfile "$C/selfsigned.pem"
	chmod 600 "$C"/*key*.pem
	chmod 644 "$C/ca.pem" "$C/good.pem" "$C/expired.pem" "$C/wronghost.pem" "$C/selfsigned.pem"
}
mkcerts
good_sha256=$(python3 "$here/helper.py" fingerprint "$C/good.pem")

# ---------------------------------------------------------------- mail dirs
# Dovecot: Maildir++ ("." separator, INBOX at the root) in DIR/mail/USER/Maildir.
M=$D/mail
mkdir -p "$M"
for u in "${dovecot_users[@]}"; do
	mkdir -p "$M/$u/Maildir/cur" "$M/$u/Maildir/new" "$M/$u/Maildir/tmp"
done
chown -R "$mail_uid:$mail_gid" "$M"
chmod 755 "$M"
chmod -R go-rwx "$M"/*

# ---------------------------------------------------------------- ports
# Hold a machine-wide lock from picking free ports until every server has
# bound them, so parallel start.sh runs cannot pick the same port.
exec 9>"${TMPDIR:-/tmp}/petrel-test-servers.lock"
flock -w 120 9 || die "timed out waiting for the port lock"
read -r p_imap p_imaps p_pop3 p_pop3s p_lmtp p_auth \
	p_bad_expired p_bad_wronghost p_bad_selfsigned p_imap_notls \
	p_submission p_smtps p_smtp_notls p_courier \
	< <(python3 "$here/helper.py" freeports 14)
[ -n "$p_courier" ] || die "could not pick free ports"

# ---------------------------------------------------------------- Postfix
# First, as it is the slowest to start (in the background).
. "$here/start-postfix.sh"

# ---------------------------------------------------------------- Dovecot
V=$D/dovecot
mkdir -p "$V"
# passwd-file: user:{scheme}password:uid:gid::home
for u in "${dovecot_users[@]}"; do
	pw=${u}_pass
	echo "$u:{PLAIN}${!pw}:$mail_uid:$mail_gid::$M/$u::"
done >"$V/users"
chown root:dovecot "$V/users"
chmod 640 "$V/users"

# OAuth2: the main instance validates JWT access tokens itself (oauth2
# passdb, introspection_mode = local) with an HS256 key made here; the
# dict holds it base64-encoded under default/HS256/default (no "azp" and
# no "kid" in our tokens). oauth-token.py signs tokens with the raw key.
O=$D/oauth
mkdir -p "$O" "$V/oauth-keys/default/HS256"
head -c 32 /dev/urandom >"$O/hs256.key"
chmod 600 "$O/hs256.key"
base64 -w0 "$O/hs256.key" >"$V/oauth-keys/default/HS256/default"
cat >"$V/oauth2.conf.ext" <<EOF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$V/oauth-keys/
username_attribute = sub
username_format = %Ln
EOF
chown -R root:dovecot "$V/oauth-keys" "$V/oauth2.conf.ext"
chmod -R g+rX,o-rwx "$V/oauth-keys" "$V/oauth2.conf.ext"

cat >"$V/common.conf" <<EOF
# Shared by every Dovecot instance of this test run.
listen = 127.0.0.1
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
auth_verbose_passwords = no
auth_mechanisms = plain login
auth_username_format = %Ln
# No sleep after a failed login, so negative tests stay fast.
auth_failure_delay = 0
# Tests log in from 127.0.0.1 many times, some fail on purpose. Without the
# anvil-auth-penalty socket the auth process disables its penalty (a delay
# of up to 15 s after failures from an IP, growing with each failure).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
first_valid_uid = $mail_uid
last_valid_uid = $mail_uid
userdb {
  driver = passwd-file
  args = $V/users
}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = .
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \\Archive
    auto = subscribe
  }
}
imap_idle_notify_interval = 10 secs
protocol imap {
  mail_max_userip_connections = 100
  # COMPRESS=DEFLATE (RFC 4978), which petrel uses when offered
  mail_plugins = \$mail_plugins imap_zlib
}
protocol pop3 {
  mail_max_userip_connections = 100
}
EOF

# dovecot_instance NAME LOG: directories and the head of NAME's config.
dovecot_instance() {
	mkdir -p "$V/$1/run" "$V/$1/state"
	cat <<-EOF
		# Dovecot instance "$1" of petrel's test servers.
		instance_name = $inst-dovecot-$1
		base_dir = $V/$1/run
		state_dir = $V/$1/state
		log_path = $2
		!include $V/common.conf
	EOF
}

# passdb_plain [USERNAME_FORMAT [MECHANISMS]]
passdb_plain() {
	cat <<-EOF
		passdb {
		  driver = passwd-file
		  args = ${1:+username_format=$1 }$V/users
		  ${2:+mechanisms = $2}
		}
	EOF
}

ssl_with() {
	cat <<-EOF
		ssl = yes
		ssl_cert = <$1
		ssl_key = <$2
		ssl_min_protocol = TLSv1.2
		disable_plaintext_auth = yes
	EOF
}

# Main instance: IMAP, POP3, LMTP and the SASL auth listener for Postfix.
dovecot_log=$D/dovecot.log
{
	dovecot_instance main "$dovecot_log"
	ssl_with "$C/good.pem" "$C/server-key.pem"
	cat <<-EOF
		protocols = imap pop3 lmtp
		# APOP works because the passwd-file has {PLAIN} passwords (APOP
		# needs the plaintext); pop3-login puts the <timestamp> in its
		# greeting only when the mechanism is enabled.
		auth_mechanisms = plain login apop xoauth2 oauthbearer
		# OAuth2 tokens are checked by this passdb only, passwords (and
		# APOP digests) by the passwd-file only ("none": lookups that are
		# no login).
		passdb {
		  driver = oauth2
		  mechanisms = xoauth2 oauthbearer
		  args = $V/oauth2.conf.ext
		}
	EOF
	# Dovecot counts 127.0.0.1 -> 127.0.0.1 as "secured" and would allow
	# plaintext IMAP/POP3 logins despite disable_plaintext_auth. So the
	# passdb looks up a user that does not exist (USER/needs-tls) unless
	# the connection really is TLS (%{secured} is "TLS" only then) or the
	# request comes from Postfix (service smtp, which enforces TLS itself).
	# shellcheck disable=SC2016  # Dovecot variables, not shell
	passdb_plain '%{if;%{secured};eq;TLS;%Ln;%{if;%s;eq;smtp;%Ln;%Ln/needs-tls}}' \
		'plain login apop none'
	cat <<-EOF
		recipient_delimiter = +
		protocol lmtp {
		  postmaster_address = postmaster@example.org
		  # alice+Folder@example.org is delivered into Folder (push tests)
		  lmtp_save_to_detail_mailbox = yes
		}
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $p_imap
		  }
		  inet_listener imaps {
		    address = 127.0.0.1
		    port = $p_imaps
		    ssl = yes
		  }
		}
		service pop3-login {
		  inet_listener pop3 {
		    address = 127.0.0.1
		    port = $p_pop3
		  }
		  inet_listener pop3s {
		    address = 127.0.0.1
		    port = $p_pop3s
		    ssl = yes
		  }
		}
		service lmtp {
		  inet_listener lmtp {
		    address = 127.0.0.1
		    port = $p_lmtp
		  }
		}
		service auth {
		  inet_listener {
		    address = 127.0.0.1
		    port = $p_auth
		  }
		}
	EOF
} >"$V/dovecot.conf"

# Bad-certificate instances: IMAPS only, one wrong certificate each.
bad_logs=()
for b in expired wronghost selfsigned; do
	pv=p_bad_$b
	key=$C/server-key.pem
	[ "$b" = selfsigned ] && key=$C/selfsigned-key.pem
	bad_logs+=("$D/dovecot-bad-$b.log")
	{
		dovecot_instance "bad-$b" "$D/dovecot-bad-$b.log"
		ssl_with "$C/$b.pem" "$key"
		passdb_plain
		cat <<-EOF
			protocols = imap
			service imap-login {
			  inet_listener imap {
			    port = 0
			  }
			  inet_listener imaps {
			    address = 127.0.0.1
			    port = ${!pv}
			    ssl = yes
			  }
			}
		EOF
	} >"$V/bad-$b.conf"
done

# No-TLS instance: plain IMAP, no STARTTLS, plaintext login accepted.
notls_log=$D/dovecot-notls.log
{
	dovecot_instance notls "$notls_log"
	passdb_plain
	cat <<-EOF
		ssl = no
		disable_plaintext_auth = no
		protocols = imap
		service imap-login {
		  inet_listener imap {
		    address = 127.0.0.1
		    port = $p_imap_notls
		  }
		  inet_listener imaps {
		    port = 0
		  }
		}
	EOF
} >"$V/notls.conf"

start_dovecot() { # NAME CONF
	local pid
	log "starting dovecot $1"
	# Output to a file: the daemon keeps its stdout open, a pipe would hang.
	# (If we fail before recording its pid, stop.sh still finds the master
	# by its command line, "dovecot -c $V/...".)
	dovecot -c "$2" >"$V/$1/start.out" 2>&1 9>&- ||
		die "dovecot $1 failed to start: $(cat "$V/$1/start.out")"
	# The master writes its pid file after `dovecot` has returned.
	local i
	for ((i = 0; i < 200; i++)); do
		[ -s "$V/$1/run/master.pid" ] && break
		sleep 0.05
	done
	pid=$(cat "$V/$1/run/master.pid" 2>/dev/null) || die "dovecot $1 wrote no master.pid"
	record_pid "$D" "dovecot-$1" "$pid" || die "dovecot $1 exited at once (see its log)"
}
start_dovecot main "$V/dovecot.conf"
for b in expired wronghost selfsigned; do
	start_dovecot "bad-$b" "$V/bad-$b.conf"
done
start_dovecot notls "$V/notls.conf"

# ---------------------------------------------------------------- Courier
courier_port=
courier_tls=none
. "$here/start-courier.sh"

# ---------------------------------------------------------------- ready?
postfix_started
ports=("$p_imap" "$p_imaps" "$p_pop3" "$p_pop3s" "$p_lmtp" "$p_auth"
	"$p_bad_expired" "$p_bad_wronghost" "$p_bad_selfsigned" "$p_imap_notls"
	"$p_submission" "$p_smtps" "$p_smtp_notls")
python3 "$here/helper.py" waitports 20 "${ports[@]}" ||
	die "servers did not start listening (see the logs in $D)"
if [ -n "$courier_port" ] &&
	! python3 "$here/helper.py" waitports 10 "$courier_port"; then
	echo "start.sh: WARNING: Courier did not start listening; continuing without it (see $D/courier.log)" >&2
	courier_port=
	"$here/stop.sh" --only courier "$D" || true
fi
flock -u 9
exec 9>&-

# doveadm must work with this config (tests use it as "another client").
doveadm -c "$V/dovecot.conf" user alice >/dev/null 2>"$D/doveadm-check.log" ||
	die "doveadm -c $V/dovecot.conf does not work (see $D/doveadm-check.log)"

# ---------------------------------------------------------------- env
q() { printf '%q' "$1"; }
{
	echo "# petrel test servers, written by start.sh; source this file."
	echo "export PETREL_TEST_DIR=$(q "$D")"
	echo "export PETREL_TEST_HOST=localhost"
	echo "export PETREL_TEST_CA=$(q "$C/ca.pem")"
	echo "export PETREL_TEST_CA_KEY=$(q "$C/ca-key.pem")"
	echo "export PETREL_TEST_CERT_GOOD=$(q "$C/good.pem")"
	echo "export PETREL_TEST_KEY_GOOD=$(q "$C/server-key.pem")"
	echo "export PETREL_TEST_CERT_EXPIRED=$(q "$C/expired.pem")"
	echo "export PETREL_TEST_CERT_WRONGHOST=$(q "$C/wronghost.pem")"
	echo "export PETREL_TEST_CERT_SELFSIGNED=$(q "$C/selfsigned.pem")"
	echo "export PETREL_TEST_GOOD_SHA256=$good_sha256"
	echo "export PETREL_TEST_ALICE_PASS=$(q "$alice_pass")"
	echo "export PETREL_TEST_BOB_PASS=$(q "$bob_pass")"
	echo "export PETREL_TEST_CAROL_PASS=$(q "$carol_pass")"
	echo "export PETREL_TEST_DAVE_PASS=$(q "$dave_pass")"
	echo "export PETREL_TEST_OAUTH_USER=dave"
	echo "export PETREL_TEST_OAUTH_KEY=$(q "$O/hs256.key")"
	echo "export PETREL_TEST_OAUTH_TOKEN_CMD=$(q "python3 $here/oauth-token.py $O/hs256.key dave")"
	echo "export PETREL_TEST_IMAP_PORT=$p_imap"
	echo "export PETREL_TEST_IMAPS_PORT=$p_imaps"
	echo "export PETREL_TEST_POP3_PORT=$p_pop3"
	echo "export PETREL_TEST_POP3S_PORT=$p_pop3s"
	echo "export PETREL_TEST_LMTP_PORT=$p_lmtp"
	echo "export PETREL_TEST_AUTH_PORT=$p_auth"
	echo "export PETREL_TEST_DOVECOT_LOG=$(q "$dovecot_log")"
	echo "export PETREL_TEST_DOVECOT_CONF=$(q "$V/dovecot.conf")"
	echo "export PETREL_TEST_MAIL_ROOT=$(q "$M")"
	echo "export PETREL_TEST_IMAPS_EXPIRED_PORT=$p_bad_expired"
	echo "export PETREL_TEST_IMAPS_WRONGHOST_PORT=$p_bad_wronghost"
	echo "export PETREL_TEST_IMAPS_SELFSIGNED_PORT=$p_bad_selfsigned"
	echo "export PETREL_TEST_BAD_LOGS=$(q "${bad_logs[*]}")"
	echo "export PETREL_TEST_IMAP_NOTLS_PORT=$p_imap_notls"
	echo "export PETREL_TEST_IMAP_NOTLS_LOG=$(q "$notls_log")"
	echo "export PETREL_TEST_SUBMISSION_PORT=$p_submission"
	echo "export PETREL_TEST_SMTPS_PORT=$p_smtps"
	echo "export PETREL_TEST_SMTP_NOTLS_PORT=$p_smtp_notls"
	echo "export PETREL_TEST_SMTP_SIZE_LIMIT=$smtp_size_limit"
	echo "export PETREL_TEST_POSTFIX_LOG=$(q "$postfix_log")"
	echo "export PETREL_TEST_COURIER_IMAP_PORT=$courier_port"
	echo "export PETREL_TEST_COURIER_TLS=$courier_tls"
	echo "export PETREL_TEST_COURIER_OUTBOX=INBOX.Outbox"
	echo "export PETREL_TEST_COURIER_SENT_DIR=$(q "$D/courier-sent")"
	echo "export PETREL_TEST_COURIER_FAIL_FILE=$(q "$D/courier-sendmail-fail")"
	echo "export PETREL_TEST_COURIER_MAIL_ROOT=$(q "$D/courier-mail")"
	echo "export PETREL_TEST_COURIER_LOG=$(q "$D/courier.log")"
} >"$D/env.tmp"
mv "$D/env.tmp" "$D/env"
ok=1
log "all servers up in $D (source $D/env)"
