#!/usr/bin/env python3
"""A hostile IMAP server, for tests/integration/hostile.sh.

A FAKE, on purpose: it exists ONLY for faults a real server will not produce
on request (every other IMAP test talks to the real Dovecot or Courier).  It
speaks just enough IMAP4rev1 for petrel's sync (CAPABILITY, LOGIN, LIST,
SELECT/EXAMINE, UID SEARCH, UID FETCH, NOOP, LOGOUT) over plain TCP on
127.0.0.1 (petrel connects with tls = off), and misbehaves as --scenario says:

  normal          nothing wrong (the baseline)
  alert           response codes without text: "* OK [ALERT]" greeting,
                  "TAG OK [ALERT]", "* NO [PARSE]<TAB>", "* OK [ALERT]<NUL>..."
                  (libetpan 1.9.4 crashes on these without petrel's guard)
  nul             NUL bytes inside response lines
  endless-line    an untagged line that never ends (streams until closed)
  huge-literal    a FETCH literal announced as {4000000000}
  stall-literal   a 50 MB literal announced, then silence
  bad-utf8        invalid UTF-8 in folder names and in headers
  bogus-uids      UID 0, duplicate and decreasing UIDs, UIDs never asked for
  unsolicited     EXISTS storms, FETCH for unknown messages, unknown responses
  bye             "* BYE" in the middle of a FETCH, then the connection closes
  cut             closes the connection after --cut-at bytes of its answers
  stall           stops answering after SELECT (a dead server, socket open)

  imap_hostile.py --scenario NAME [--cut-at N] [--log F]   prints "listening PORT"
"""
import argparse
import re
import socket
import socketserver
import sys
import time

MSGS = [
    (1, b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: first\r\n"
        b"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m1@example.org>\r\n\r\none\r\n"),
    (2, b"From: Carol <carol@example.org>\r\nTo: bob@example.org\r\nSubject: second\r\n"
        b"Date: Tue, 03 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m2@example.org>\r\n\r\ntwo\r\n"),
    (3, b"From: Dave <dave@example.org>\r\nTo: bob@example.org\r\nSubject: third\r\n"
        b"Date: Wed, 04 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m3@example.org>\r\n\r\nthree\r\n"),
]


class Cut(Exception):
    pass


class Handler(socketserver.BaseRequestHandler):
    def setup(self):
        self.sc = self.server.scenario
        self.sent = 0
        self.buf = b""
        self.msgs = list(MSGS)
        if self.sc == "bad-utf8":
            self.msgs[0] = (1, self.msgs[0][1].replace(b"Subject: first",
                                                       b"Subject: bad \xff\xfe \xc3( utf-8"))

    def out(self, data):
        cut = self.server.cut_at
        if cut is not None and self.sent + len(data) > cut:
            self.request.sendall(data[:cut - self.sent])
            raise Cut()
        self.request.sendall(data)
        self.sent += len(data)

    def line(self):
        while b"\n" not in self.buf:
            d = self.request.recv(65536)
            if not d:
                return None
            self.buf += d
        ln, self.buf = self.buf.split(b"\n", 1)
        if self.server.log:
            self.server.log.write(ln.rstrip(b"\r").decode(errors="replace") + "\n")
            self.server.log.flush()
        return ln.rstrip(b"\r")

    def ok(self, tag, text=b"done"):
        if self.sc == "alert":
            self.out(tag + b" OK [ALERT]\r\n")
        else:
            self.out(tag + b" OK " + text + b"\r\n")

    def handle(self):
        try:
            self.serve()
        except (Cut, BrokenPipeError, ConnectionResetError):
            pass

    def serve(self):
        sc = self.sc
        if sc == "alert":
            self.out(b"* OK [ALERT]\r\n")
        elif sc == "nul":
            self.out(b"* OK hostile\x00 IMAP ready\r\n")
        else:
            self.out(b"* OK hostile IMAP ready\r\n")
        while True:
            ln = self.line()
            if ln is None:
                return
            parts = ln.split(b" ", 2)
            if len(parts) < 2:
                continue
            tag, cmd = parts[0], parts[1].upper()
            rest = parts[2] if len(parts) > 2 else b""
            if cmd == b"UID" and rest:
                sub = rest.split(b" ", 1)
                cmd, rest = b"UID " + sub[0].upper(), sub[1] if len(sub) > 1 else b""
            if cmd == b"CAPABILITY":
                self.out(b"* CAPABILITY IMAP4rev1 LITERAL+ AUTH=PLAIN\r\n")
                self.ok(tag)
            elif cmd == b"LOGIN":
                if sc == "alert":
                    self.out(b"* NO [PARSE]\t\r\n* OK [ALERT]\x00hidden\r\n")
                self.ok(tag, b"logged in")
            elif cmd in (b"LIST", b"LSUB"):
                self.out(b'* LIST (\\HasNoChildren) "/" INBOX\r\n')
                if sc == "bad-utf8":
                    self.out(b'* LIST (\\HasNoChildren) "/" "Bad\xff\xfe\xc3(Name"\r\n')
                    self.out(b'* LIST (\\HasNoChildren) "/" {9}\r\nEsc\x1b[31mX\r\n')
                self.ok(tag)
            elif cmd in (b"SELECT", b"EXAMINE", b"STATUS"):
                if sc == "endless-line":
                    self.out(b"* OK ")
                    chunk = b"x" * 65536
                    while True:
                        self.out(chunk)
                if cmd == b"STATUS":
                    self.out(b"* STATUS INBOX (MESSAGES 3 UIDNEXT 4 UIDVALIDITY 7 UNSEEN 3)\r\n")
                    self.ok(tag)
                    continue
                self.out(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                         b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] ok\r\n"
                         b"* 3 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] ok\r\n"
                         b"* OK [UIDNEXT 4] ok\r\n")
                if sc == "unsolicited":
                    for i in range(2000):
                        self.out(b"* %d EXISTS\r\n" % (3 + i % 7))
                    self.out(b"* XUNKNOWN some (thing) \"here\"\r\n* 77 FETCH (FLAGS (\\Seen))\r\n"
                             b"* XOTHER {12}\r\nA1 NO [ALERT]\r\n* 2 XNUMBERED x\r\n")
                if sc == "nul":
                    self.out(b"* OK [UNSEEN 1]\x00\r\n")
                if sc == "stall":
                    self.out(tag + b" OK [READ-WRITE] selected\r\n")
                    time.sleep(3600)
                self.ok(tag, b"[READ-WRITE] selected")
            elif cmd == b"UID SEARCH":
                if sc == "bogus-uids":
                    self.out(b"* SEARCH 3 0 2 2 1 99\r\n")
                else:
                    self.out(b"* SEARCH 1 2 3\r\n")
                self.ok(tag)
            elif cmd in (b"UID FETCH", b"FETCH"):
                self.fetch(tag, rest, cmd == b"UID FETCH")
            elif cmd == b"LOGOUT":
                self.out(b"* BYE bye\r\n")
                self.ok(tag)
                return
            else:  # NOOP, ENABLE, ID, NAMESPACE, STORE, EXPUNGE, ...
                self.ok(tag)

    def pick(self, spec, by_uid):
        """(seq, uid) of the messages spec names (UIDs or sequence numbers)."""
        top = len(self.msgs)
        want = set()
        for part in spec.split(b","):
            a, _, b = part.partition(b":")
            b = b or a
            try:
                a = top if a == b"*" else int(a)
                b = 10 ** 9 if b == b"*" else int(b)
            except ValueError:
                continue
            lo, hi = min(a, b), max(a, b)
            for seq, (uid, _) in enumerate(self.msgs, 1):
                if lo <= (uid if by_uid else seq) <= hi:
                    want.add((seq, uid))
        return sorted(want)

    def fetch(self, tag, rest, by_uid):
        sc = self.sc
        spec, _, items = rest.partition(b" ")
        whole = b"BODY.PEEK[]" in items.upper() or b"BODY[]" in items.upper()
        m = re.search(rb"BODY\.PEEK\[(HEADER[^\]]*)\]", items, re.I)
        section = m.group(1) if m else b"HEADER"
        pairs = self.pick(spec, by_uid)
        if sc == "bogus-uids":
            pairs = [(1, 0)] + list(reversed(pairs)) + pairs + [(2, 99), (9, 5)]
        for seq, uid in pairs:
            msg = dict(self.msgs).get(uid, MSGS[0][1])
            data = msg if whole else msg.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            name = b"BODY[]" if whole else b"BODY[" + section + b"]"
            n = len(data)
            if sc == "huge-literal":
                self.out(b"* %d FETCH (UID %d FLAGS () %s {4000000000}\r\n" % (seq, uid, name))
                self.out(data)
                time.sleep(3600)
            if sc == "stall-literal":
                self.out(b"* %d FETCH (UID %d FLAGS () %s {50000000}\r\n" % (seq, uid, name))
                time.sleep(3600)
            if sc == "bye" and uid == 2:
                self.out(b"* BYE going away now\r\n")
                return self.request.close()
            self.out(b'* %d FETCH (UID %d FLAGS (\\Recent) INTERNALDATE "0%d-Nov-2026 10:00:00 +0000" '
                     b"RFC822.SIZE %d %s {%d}\r\n" % (seq, uid, 2 + uid % 7, len(msg), name, n))
            self.out(data + b")\r\n")
            if sc == "unsolicited":
                self.out(b"* 1 FETCH (FLAGS (\\Seen))\r\n* %d EXISTS\r\n* XSTRANGE\r\n"
                         % (10 ** 6))
        self.ok(tag)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--cut-at", type=int, default=None)
    ap.add_argument("--log", help="write the client's command lines here")
    opt = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    srv.scenario = opt.scenario
    srv.cut_at = opt.cut_at
    srv.log = open(opt.log, "a") if opt.log else None
    print("listening", srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
