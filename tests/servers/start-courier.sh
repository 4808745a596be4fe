# shellcheck shell=bash disable=SC2154,SC2034  # variables shared with start.sh
# Sourced by start.sh: Courier-IMAP with its outbox, on $p_courier.
# Needs from start.sh: D C M inst repo here log record_pid p_courier users
# alice_pass bob_pass mail_uid mail_gid. Sets courier_port, courier_tls.
# Any problem here only disables Courier (with a warning): the other
# servers do not depend on it.
#
# courier-imap conflicts with dovecot-imapd, so its package is unpacked
# (not installed) into a cache, build/courier-imap/ at the repo root (or
# $PETREL_COURIER_CACHE), downloaded once with `apt-get download`.
# courier-authlib has fixed paths (/etc/courier/authdaemonrc, userdb,
# /run/courier/authdaemon/socket): authdaemond and imapd run in a private
# mount namespace (unshare -m) where our own directories are bind-mounted
# over /etc/courier and /run/courier. Nothing of the system's is changed,
# and parallel instances do not see each other.

courier_warn() { echo "start.sh: WARNING: Courier disabled: $*" >&2; }

# courier_unpack: print the root of the unpacked courier-imap package.
courier_unpack() {
	local cache=${PETREL_COURIER_CACHE:-$repo/build/courier-imap}
	local base_ver deb
	base_ver=$(dpkg-query -W -f='${Version}' courier-base 2>/dev/null) || {
		courier_warn "courier-base is not installed (scripts/deps.sh --test)"
		return 1
	}
	mkdir -p "$cache" || return 1
	(
		# One download at a time, also across parallel start.sh runs.
		flock -w 300 8 || exit 1
		# courier-imap must match courier-base (its version ends with it).
		deb=$(find "$cache" -maxdepth 1 -name "courier-imap_*+${base_ver//+/?}_*.deb" -print -quit)
		if [ -z "$deb" ]; then
			rm -rf "$cache/root" "$cache"/courier-imap_*.deb
			# A fresh machine may have no package lists yet: update once.
			(cd "$cache" && { apt-get download -o APT::Sandbox::User=root courier-imap ||
				{ apt-get update -qq && apt-get download -o APT::Sandbox::User=root courier-imap; }; }) \
				>"$cache/download.log" 2>&1 || exit 1
			deb=$(find "$cache" -maxdepth 1 -name 'courier-imap_*.deb' -print -quit)
			[ -n "$deb" ] || exit 1
		fi
		if [ ! -x "$cache/root/usr/bin/imapd" ]; then
			rm -rf "$cache/root.tmp"
			dpkg-deb -x "$deb" "$cache/root.tmp" && mv "$cache/root.tmp" "$cache/root" || exit 1
		fi
	) 8>"$cache/.lock" || {
		courier_warn "could not get courier-imap (see $cache/download.log)"
		return 1
	}
	echo "$cache/root"
}

start_courier() {
	local root CD=$D/courier CM=$D/courier-mail sent=$D/courier-sent u pw hash
	command -v couriertcpd >/dev/null || { courier_warn "couriertcpd missing (courier-base)"; return 1; }
	if [ ! -x /usr/lib/courier/courier-authlib/authdaemond ] ||
		[ ! -e /usr/lib/courier-authlib/libauthuserdb.so ]; then
		courier_warn "courier-authdaemon / courier-authlib-userdb missing"
		return 1
	fi
	[ -d /etc/courier ] || { courier_warn "/etc/courier missing (courier-base)"; return 1; }
	root=$(courier_unpack) || return 1
	if ldd "$root/usr/bin/imapd" "$root/usr/lib/courier/courier/imaplogin" | grep -q 'not found'; then
		courier_warn "libraries missing for imapd: $(ldd "$root/usr/bin/imapd" | grep 'not found' | tr -s ' \t\n' ' ')"
		return 1
	fi
	# IDLE: with gamin's gam_server, imapd sees new mail at once; without,
	# it polls every IMAP_IDLE_TIMEOUT seconds. GAM_CLIENT_ID gives this
	# instance its own gam_server (it is per user otherwise, and all
	# instances use the mail user).
	local idle=0
	[ -x /usr/libexec/gam_server ] && idle=1

	mkdir -p "$CD/etc" "$CD/run/authdaemon" "$CD/sendmail-tmp" "$sent" || return 1
	# The sendmail script runs as the mail user.
	chown "$mail_uid:$mail_gid" "$sent" "$CD/sendmail-tmp" || return 1
	chmod 755 "$sent"

	# Users: Maildir with the .Outbox folder, in the userdb of authlib.
	for u in "${users[@]}"; do
		mkdir -p "$CM/$u/Maildir/"{cur,new,tmp} "$CM/$u/Maildir/.Outbox/"{cur,new,tmp} || return 1
		touch "$CM/$u/Maildir/.Outbox/maildirfolder"
	done
	chown -R "$mail_uid:$mail_gid" "$CM" && chmod 755 "$CM" || return 1
	chmod -R go-rwx "$CM"/*
	for u in "${users[@]}"; do
		pw=alice_pass
		[ "$u" = bob ] && pw=bob_pass
		hash=$(openssl passwd -6 "${!pw}") || return 1
		printf '%s\tuid=%s|gid=%s|home=%s|mail=%s|systempw=%s\n' \
			"$u" "$mail_uid" "$mail_gid" "$CM/$u" "$CM/$u/Maildir" "$hash"
	done >"$CD/etc/userdb"
	chmod 600 "$CD/etc/userdb"
	makeuserdb -f "$CD/etc/userdb" >"$CD/makeuserdb.log" 2>&1 || {
		courier_warn "makeuserdb failed (see $CD/makeuserdb.log)"
		return 1
	}
	cat >"$CD/etc/authdaemonrc" <<-EOF
		authmodulelist="authuserdb"
		authmodulelistorig="authuserdb"
		daemons=3
		authdaemonvar=/run/courier/authdaemon
		DEBUG_LOGIN=0
		DEFAULTOPTIONS=""
		LOGGEROPTS=""
	EOF

	# The outbox's "sendmail": records the message instead of sending it.
	cat >"$CD/sendmail.sh" <<-EOF
		#!/bin/sh
		# SENDMAIL of the test Courier: saves each message as N.eml in
		# $sent, with its arguments on a first header line
		# "X-Sendmail-Argv: ...". Fails while $D/courier-sendmail-fail exists.
		if [ -e "$D/courier-sendmail-fail" ]; then
		  echo "sendmail: failing on purpose: $D/courier-sendmail-fail exists" >&2
		  cat >/dev/null
		  exit 1
		fi
		tmp="$CD/sendmail-tmp/\$\$"
		{ printf 'X-Sendmail-Argv:'; printf ' %s' "\$@"; printf '\n'; cat; } >"\$tmp" || exit 1
		exec 8>"$CD/sendmail-tmp/.lock"
		flock 8
		n=1
		while [ -e "$sent/\$n.eml" ]; do n=\$((n + 1)); done
		mv "\$tmp" "$sent/\$n.eml"
	EOF
	chmod 755 "$CD/sendmail.sh"

	# TLS: couriertls (GnuTLS) with the good cert, STARTTLS required.
	# imaplogin runs couriertls as user courier: give it its own copy.
	local tls=NO
	if [ -x /usr/bin/couriertls ] && id courier >/dev/null 2>&1; then
		cat "$C/server-key.pem" "$C/good.pem" >"$CD/tls.pem" &&
			chown courier: "$CD/tls.pem" && chmod 600 "$CD/tls.pem" && tls=YES
	fi

	# Runs inside the private mount namespace, as the session leader.
	cat >"$CD/run.sh" <<-EOF
		#!/bin/sh
		set -e
		mount --bind "$CD/etc" /etc/courier
		if [ -d /run/courier ]; then
		  mount --bind "$CD/run" /run/courier
		else
		  mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/courier/authdaemon
		fi
		/usr/lib/courier/courier-authlib/authdaemond &
		i=0
		while [ ! -S /run/courier/authdaemon/socket ]; do
		  i=\$((i + 1)); [ \$i -lt 100 ] || { echo "authdaemond did not start" >&2; exit 1; }
		  sleep 0.05
		done
		umask 022
		exec env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \\
		  PETREL_TEST_INSTANCE=$inst-courier \\
		  IMAP_CAPABILITY="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE" \\
		  IMAP_CAPABILITY_TLS="IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN" \\
		  IMAP_KEYWORDS=1 IMAP_ACL=1 IMAP_PROXY=0 IMAP_IDLE_TIMEOUT=10 \\
		  IMAP_MAILBOX_SANITY_CHECK=1 IMAP_USELOCKS=1 IMAP_ENHANCEDIDLE=$idle GAM_CLIENT_ID=$inst \\
		  IMAP_TRASHFOLDERNAME=Trash IMAP_EMPTYTRASH=Trash:7 IMAP_MOVE_EXPUNGE_TO_TRASH=0 \\
		  IMAP_DISABLETHREADSORT=0 IMAP_CHECK_ALL_FOLDERS=0 IMAP_OBSOLETE_CLIENT=0 \\
		  IMAP_UMASK=022 IMAP_ULIMITD=131072 \\
		  OUTBOX=.Outbox SENDMAIL="$CD/sendmail.sh" HEADERFROM=X-IMAP-Sender \\
		  MAILDIRPATH=Maildir \\
		  IMAP_STARTTLS=$tls IMAP_TLS_REQUIRED=$([ "$tls" = YES ] && echo 1 || echo 0) \\
		  COURIERTLS=/usr/bin/couriertls TLS_CERTFILE="$CD/tls.pem" TLS_VERIFYPEER=NONE \\
		  /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=100 -maxperip=100 \\
		    -nodnslookup -noidentlookup $p_courier \\
		    "$root/usr/lib/courier/courier/imaplogin" "$root/usr/bin/imapd" Maildir
	EOF
	chmod 755 "$CD/run.sh"

	log "starting courier-imap"
	# setsid: own session (stop.sh kills it whole); not a group leader here,
	# so setsid does not fork and $! is the session leader.
	PETREL_TEST_INSTANCE=$inst-courier setsid unshare --mount --propagation private /bin/sh "$CD/run.sh" \
		</dev/null >>"$D/courier.log" 2>&1 9>&- &
	local pid=$!
	sleep 0.05
	record_pid "$D" courier "$pid" || {
		courier_warn "it exited at once (see $D/courier.log)"
		return 1
	}
	courier_port=$p_courier
	courier_tls=none
	[ "$tls" = YES ] && courier_tls=starttls
	return 0
}

if ! start_courier; then
	courier_port=
	courier_tls=none
	"$here/stop.sh" --only courier "$D" || true
fi
