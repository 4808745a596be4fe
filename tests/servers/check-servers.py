#!/usr/bin/env python3
"""Check that the servers of start.sh behave as README.md promises.

Run with DIR/env sourced, e.g.:  tests/servers/with-servers.sh tests/servers/check-servers.py
Prints one line per check and closes with "N passed, N failed".
"""
import email.message
import glob
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import sys
import time
import uuid

E = os.environ
HOST = "localhost"
results = []


def check(name):
    def deco(fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok   {name}", flush=True)
        except Exception as e:  # report and go on with the next check
            results.append((name, e))
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
        return fn
    return deco


def port(name):
    return int(E[f"PETREL_TEST_{name}_PORT"])


def ctx():
    c = ssl.create_default_context(cafile=E["PETREL_TEST_CA"])
    return c


def expect(cond, what):
    if not cond:
        raise AssertionError(what)


def log_has(path, text, timeout=3.0):
    end = time.monotonic() + timeout
    while True:
        with open(path, errors="replace") as f:
            if text in f.read():
                return True
        if time.monotonic() > end:
            raise AssertionError(f"{text!r} not in {path}")
        time.sleep(0.1)


def login_fails(fn):
    try:
        fn()
    except (imaplib.IMAP4.error, poplib.error_proto, smtplib.SMTPException):
        return
    raise AssertionError("login succeeded but should not")


ALICE = ("alice", E.get("PETREL_TEST_ALICE_PASS", ""))
BOB = ("bob", E.get("PETREL_TEST_BOB_PASS", ""))


@check("imap: STARTTLS advertised, plaintext LOGIN refused before TLS")
def _():
    m = imaplib.IMAP4(HOST, port("IMAP"))
    expect("STARTTLS" in m.capabilities, m.capabilities)
    login_fails(lambda: m.login(*ALICE))
    m.logout()


@check("imap: STARTTLS (CA-verified) + login + CONDSTORE QRESYNC IDLE MOVE SPECIAL-USE COMPRESS=DEFLATE")
def _():
    m = imaplib.IMAP4(HOST, port("IMAP"))
    m.starttls(ctx())
    m.login(*ALICE)
    typ, caps = m.capability()
    caps = caps[0].decode().split()
    for c in ("CONDSTORE", "QRESYNC", "IDLE", "MOVE", "SPECIAL-USE", "UIDPLUS", "ENABLE",
              "COMPRESS=DEFLATE"):
        expect(c in caps, f"{c} missing from {caps}")
    typ, data = m._simple_command("ENABLE", "QRESYNC")
    expect(typ == "OK", data)
    enabled = b" ".join(m.untagged_responses.get("ENABLED", []))
    expect(b"QRESYNC" in enabled, f"ENABLED: {enabled!r}")
    typ, data = m.list()
    flat = b" ".join(data)
    for f in (b"\\Drafts", b"\\Sent", b"\\Trash", b"\\Junk", b"\\Archive"):
        expect(f in flat, f"{f} not in LIST: {flat}")
    typ, data = m.select("INBOX")
    expect(typ == "OK", data)
    m.logout()


@check("imaps: login alice and bob; wrong password fails and is logged")
def _():
    for user in (ALICE, BOB):
        m = imaplib.IMAP4_SSL(HOST, port("IMAPS"), ssl_context=ctx())
        m.login(*user)
        m.logout()
    m = imaplib.IMAP4_SSL(HOST, port("IMAPS"), ssl_context=ctx())
    login_fails(lambda: m.login("alice", "wrong-password"))
    log_has(E["PETREL_TEST_DOVECOT_LOG"], "Password mismatch")


@check("pop3: STLS + login; plaintext USER/PASS refused; pop3s login")
def _():
    p = poplib.POP3(HOST, port("POP3"))
    expect("STLS" in p.capa(), p.capa())
    login_fails(lambda: (p.user(ALICE[0]), p.pass_(ALICE[1])))
    p.quit()
    p = poplib.POP3(HOST, port("POP3"))
    p.stls(ctx())
    p.user(ALICE[0])
    p.pass_(ALICE[1])
    p.stat()
    p.quit()
    p = poplib.POP3_SSL(HOST, port("POP3S"), context=ctx())
    p.user(BOB[0])
    p.pass_(BOB[1])
    p.quit()


def tls_error(portname, expect_text):
    s = socket.create_connection(("127.0.0.1", port(portname)), timeout=5)
    try:
        ctx().wrap_socket(s, server_hostname=HOST)
    except ssl.SSLCertVerificationError as e:
        expect(expect_text in str(e), f"wrong reason: {e}")
        return
    finally:
        s.close()
    raise AssertionError("handshake succeeded")


@check("bad certs: expired / wrong host / self-signed are rejected for that reason")
def _():
    tls_error("IMAPS_EXPIRED", "certificate has expired")
    tls_error("IMAPS_WRONGHOST", "Hostname mismatch")
    tls_error("IMAPS_SELFSIGNED", "self-signed certificate")
    logs = E["PETREL_TEST_BAD_LOGS"].split()
    expect(len(logs) == 3 and all(os.path.exists(p) for p in logs), logs)
    # Each bad server is a real IMAP server: unverified TLS can log in.
    for name in ("IMAPS_EXPIRED", "IMAPS_WRONGHOST", "IMAPS_SELFSIGNED"):
        m = imaplib.IMAP4_SSL(HOST, port(name), ssl_context=ssl._create_unverified_context())
        m.login(*ALICE)
        m.logout()


@check("imap no-TLS server: no STARTTLS, plaintext login works")
def _():
    m = imaplib.IMAP4(HOST, port("IMAP_NOTLS"))
    expect("STARTTLS" not in m.capabilities, m.capabilities)
    m.login(*ALICE)
    m.logout()
    log_has(E["PETREL_TEST_IMAP_NOTLS_LOG"], "Login: user=<alice>")


@check("doveadm works with PETREL_TEST_DOVECOT_CONF")
def _():
    out = subprocess.run(["doveadm", "-c", E["PETREL_TEST_DOVECOT_CONF"], "mailbox",
                          "status", "-u", "alice", "messages", "INBOX"],
                         capture_output=True, text=True, check=True).stdout
    expect("messages=" in out, out)


def wait_for_mail(user, marker, timeout=15):
    root = os.path.join(E["PETREL_TEST_MAIL_ROOT"], user, "Maildir")
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for f in glob.glob(os.path.join(root, "new", "*")) + glob.glob(os.path.join(root, "cur", "*")):
            try:
                if marker in open(f, errors="replace").read():
                    return f
            except OSError:
                pass
        time.sleep(0.2)
    raise AssertionError(f"message {marker} not delivered to {user}")


def msg(to, marker):
    m = email.message.EmailMessage()
    m["From"] = "alice@example.org"
    m["To"] = to
    m["Subject"] = f"check {marker}"
    m["Message-ID"] = f"<{marker}@example.org>"
    m.set_content(f"marker {marker}\n")
    return m


@check("submission: no AUTH before STARTTLS; SIZE; alice -> bob delivered to bob's Maildir")
def _():
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=10)
    s.ehlo()
    expect(s.has_extn("starttls"), s.esmtp_features)
    expect(not s.has_extn("auth"), "AUTH offered before TLS")
    s.starttls(context=ctx())
    s.ehlo()
    expect(s.has_extn("auth"), s.esmtp_features)
    expect(s.esmtp_features.get("size") == E["PETREL_TEST_SMTP_SIZE_LIMIT"], s.esmtp_features)
    s.login(*ALICE)
    marker = uuid.uuid4().hex
    s.send_message(msg("bob@example.org", marker))
    s.quit()
    wait_for_mail("bob", marker)


@check("submission: wrong password -> 535; external rcpt -> 5xx; unauthenticated -> 5xx")
def _():
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=10)
    s.starttls(context=ctx())
    try:
        s.login("alice", "wrong-password")
        raise AssertionError("login worked")
    except smtplib.SMTPAuthenticationError as e:
        expect(e.smtp_code == 535, e)
    s.quit()
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=10)
    s.starttls(context=ctx())
    s.login(*ALICE)
    s.mail("alice@example.org")
    code, text = s.rcpt("someone@gmail.com")
    expect(500 <= code < 600, (code, text))
    code, text = s.rcpt("nobody@example.org")
    expect(500 <= code < 600, (code, text))
    s.quit()
    s = smtplib.SMTP(HOST, port("SUBMISSION"), timeout=10)
    s.starttls(context=ctx())
    s.ehlo()
    s.mail("alice@example.org")
    code, text = s.rcpt("bob@example.org")
    expect(500 <= code < 600, (code, text))
    s.quit()


@check("smtps (implicit TLS): login + send bob -> alice delivered")
def _():
    s = smtplib.SMTP_SSL(HOST, port("SMTPS"), context=ctx(), timeout=10)
    s.login(*BOB)
    marker = uuid.uuid4().hex
    s.send_message(msg("alice@example.org", marker))
    s.quit()
    wait_for_mail("alice", marker)


@check("smtp no-TLS port: no STARTTLS advertised")
def _():
    s = smtplib.SMTP(HOST, port("SMTP_NOTLS"), timeout=10)
    s.ehlo()
    expect(not s.has_extn("starttls"), s.esmtp_features)
    s.quit()


def oauth_token(*extra):
    cmd = E["PETREL_TEST_OAUTH_TOKEN_CMD"].split() + list(extra)
    return subprocess.check_output(cmd, text=True).strip()


def sasl_oauth(mech, user, token, port_no):
    if mech == "XOAUTH2":
        return f"user={user}\x01auth=Bearer {token}\x01\x01"
    return f"n,a={user},\x01host={HOST}\x01port={port_no}\x01auth=Bearer {token}\x01\x01"


def imap_oauth(mech, token):
    m = imaplib.IMAP4_SSL(HOST, port("IMAPS"), ssl_context=ctx())
    expect(f"AUTH={mech}" in m.capabilities, m.capabilities)
    first = [True]

    def answer(challenge):
        if first[0]:
            first[0] = False
            return sasl_oauth(mech, "dave", token, port("IMAPS")).encode()
        return b"\x01" if mech == "OAUTHBEARER" else b""
    try:
        m.authenticate(mech, answer)
    finally:
        try:
            m.logout()
        except Exception:
            pass


@check("oauth2: IMAP XOAUTH2 and OAUTHBEARER with a minted token; expired and wrongly signed refused")
def _():
    if not E.get("PETREL_TEST_OAUTH_TOKEN_CMD"):
        raise AssertionError("no PETREL_TEST_OAUTH_TOKEN_CMD in env")
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        imap_oauth(mech, oauth_token())
        login_fails(lambda: imap_oauth(mech, oauth_token("--expired")))
        login_fails(lambda: imap_oauth(mech, oauth_token("--bad-signature")))
    log_has(E["PETREL_TEST_DOVECOT_LOG"], "Token has expired")


@check("oauth2: SMTP (Postfix via Dovecot SASL) AUTH XOAUTH2 / OAUTHBEARER -> 235; expired -> 334 JSON, 535")
def _():
    import base64
    for mech in ("XOAUTH2", "OAUTHBEARER"):
        for extra, want in (((), 235), (("--expired",), 334)):
            s = smtplib.SMTP_SSL(HOST, port("SMTPS"), context=ctx())
            s.ehlo()
            expect(mech in s.esmtp_features.get("auth", ""), s.esmtp_features)
            ir = sasl_oauth(mech, "dave", oauth_token(*extra), port("SMTPS"))
            code, resp = s.docmd("AUTH", mech + " " + base64.b64encode(ir.encode()).decode())
            expect(code == want, (code, resp))
            if code == 334:
                expect(b"status" in base64.b64decode(resp), resp)
                code, resp = s.docmd("AQ==" if mech == "OAUTHBEARER" else "")
                expect(code == 535, (code, resp))
            s.quit()


@check("pop3: APOP for dave (timestamp in the greeting); wrong password refused")
def _():
    p = poplib.POP3_SSL(HOST, port("POP3S"), context=ctx())
    expect(b"<" in p.getwelcome(), p.getwelcome())
    p.apop("dave", E["PETREL_TEST_DAVE_PASS"])
    p.quit()
    p = poplib.POP3_SSL(HOST, port("POP3S"), context=ctx())
    login_fails(lambda: p.apop("dave", "wrong"))
    p.close()


@check("lmtp: direct delivery to alice")
def _():
    s = smtplib.LMTP(HOST, port("LMTP"))
    marker = uuid.uuid4().hex
    s.send_message(msg("alice@example.org", marker))
    s.quit()
    wait_for_mail("alice", marker)


def courier_imap():
    m = imaplib.IMAP4(HOST, port("COURIER_IMAP"))
    if E.get("PETREL_TEST_COURIER_TLS") == "starttls":
        expect("STARTTLS" in m.capabilities, m.capabilities)
        m.starttls(ctx())
    return m


if E.get("PETREL_TEST_COURIER_IMAP_PORT"):
    @check("courier: login, XCOURIEROUTBOX, COPY to outbox runs the sendmail script")
    def _():
        m = courier_imap()
        m.login(*ALICE)
        typ, caps = m.capability()
        caps = caps[0].decode()
        outbox = E["PETREL_TEST_COURIER_OUTBOX"]
        expect(f"XCOURIEROUTBOX={outbox}" in caps, caps)
        sent = E["PETREL_TEST_COURIER_SENT_DIR"]
        def eml():
            return {f for f in os.listdir(sent) if f.endswith(".eml")}
        before = eml()
        marker = uuid.uuid4().hex
        body = msg("bob@example.org", marker).as_bytes().replace(b"\n", b"\r\n")
        typ, data = m.append("INBOX", None, None, body)
        expect(typ == "OK", data)
        m.select("INBOX")
        typ, data = m.search(None, "HEADER", "Message-ID", marker)
        num = data[0].split()[-1]
        typ, data = m.copy(num, outbox)
        expect(typ == "OK", data)
        new = eml() - before
        expect(set(os.listdir(sent)) == eml(), os.listdir(sent))
        expect(len(new) == 1, new)
        text = open(os.path.join(sent, new.pop()), errors="replace").read()
        expect(marker in text, text[:300])
        # Failure mode.
        fail = E["PETREL_TEST_COURIER_FAIL_FILE"]
        open(fail, "w").close()
        try:
            typ, data = m.copy(num, outbox)
            expect(typ == "NO", (typ, data))
        except imaplib.IMAP4.error as e:
            expect("Unable to send" in str(e) or "ALERT" in str(e), e)
        finally:
            os.unlink(fail)
        m.logout()

failed = sum(1 for _, e in results if e)
print(f"{len(results) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
