#!/usr/bin/env python3
"""A tiny POP3 server that misbehaves on purpose, for tests/integration/pop3.sh.

The POP3 tests run against the real Dovecot; this exists ONLY for what a
real server will not do on request:
  --no-uidl         no UIDL at all (not in CAPA, the command refused): petrel
                    must tell messages apart by their headers
  --err-retr N,..   -ERR to RETR of these message numbers (a server failing
                    in the middle of a drain)
  --short-retr N,.. end RETR of these messages after half of the message
                    (a truncated answer that still ends with "." properly)
  --garbage-dele N  answer DELE N with a line that is not POP3
  --endless-line    answer every LIST, TOP and RETR with a line that never
                    ends (tests/integration/hostile.sh)
Everything else is plain RFC 1939 (+ CAPA, TOP, UIDL, PIPELINING) on
127.0.0.1, no TLS (petrel connects with tls = off).  Messages are the files
of --dir in name order; the UIDL of a message is its file name; deletions
remove the files at QUIT, as POP3's UPDATE state does, and only then.

  pop3_fake.py --dir DIR [options]     prints "listening PORT", serves until killed
"""
import argparse
import os
import socketserver
import sys


def nums(s):
    return {int(x) for x in s.split(",") if x} if s else set()


class Handler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")

    def multi(self, data):
        out = []
        for line in data.replace(b"\r\n", b"\n").split(b"\n"):
            out.append((b"." + line) if line.startswith(b".") else line)
        if out and out[-1] == b"":
            out.pop()
        self.wfile.write(b"\r\n".join(out) + b"\r\n.\r\n")

    def handle(self):
        opt = self.server.opt
        d = opt.dir
        names = sorted(f for f in os.listdir(d) if not f.startswith("."))
        msgs = [open(os.path.join(d, f), "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                for f in names]
        deleted = set()
        self.send("+OK fake POP3 ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return  # no QUIT: nothing is deleted
            words = line.decode(errors="replace").strip().split()
            if not words:
                continue
            cmd, args = words[0].upper(), words[1:]

            def msg(i):
                n = int(args[i]) if len(args) > i and args[i].isdigit() else 0
                return n if 1 <= n <= len(msgs) and n not in deleted else 0

            if cmd == "CAPA":
                caps = ["USER", "TOP", "PIPELINING"] + ([] if opt.no_uidl else ["UIDL"])
                self.send("+OK")
                for c in caps:
                    self.send(c)
                self.send(".")
            elif cmd in ("USER", "PASS", "NOOP"):
                self.send("+OK")
            elif cmd == "STAT":
                live = [i for i in range(1, len(msgs) + 1) if i not in deleted]
                self.send("+OK %d %d" % (len(live), sum(len(msgs[i - 1]) for i in live)))
            elif cmd == "LIST" and args:
                n = msg(0)
                self.send("+OK %d %d" % (n, len(msgs[n - 1])) if n else "-ERR no such message")
            elif cmd == "LIST":
                self.send("+OK")
                for i in range(1, len(msgs) + 1):
                    if i not in deleted:
                        self.send("%d %d" % (i, len(msgs[i - 1])))
                self.send(".")
            elif cmd == "UIDL" and opt.no_uidl:
                self.send("-ERR UIDL not supported")
            elif cmd == "UIDL" and args:
                n = msg(0)
                self.send("+OK %d %s" % (n, names[n - 1]) if n else "-ERR no such message")
            elif cmd == "UIDL":
                self.send("+OK")
                for i in range(1, len(msgs) + 1):
                    if i not in deleted:
                        self.send("%d %s" % (i, names[i - 1]))
                self.send(".")
            elif cmd == "TOP":
                n = msg(0)
                if not n:
                    self.send("-ERR no such message")
                    continue
                m = msgs[n - 1]
                end = m.find(b"\r\n\r\n")
                self.send("+OK")
                self.multi(m[:end + 4] if end >= 0 else m)
            elif cmd in ("RETR", "TOP", "LIST", "UIDL") and opt.endless_line:
                self.wfile.write(b"+OK ")
                while True:
                    self.wfile.write(b"y" * 65536)
            elif cmd == "RETR":
                n = msg(0)
                if not n or n in opt.err_retr:
                    self.send("-ERR cannot read that message now")
                    continue
                m = msgs[n - 1]
                self.send("+OK %d octets" % len(m))
                self.multi(m[:len(m) // 2] if n in opt.short_retr else m)
            elif cmd == "DELE":
                n = msg(0)
                if n and n == opt.garbage_dele:
                    self.send("* this is not POP3")
                elif n:
                    deleted.add(n)
                    self.send("+OK deleted")
                else:
                    self.send("-ERR no such message")
            elif cmd == "RSET":
                deleted.clear()
                self.send("+OK")
            elif cmd == "QUIT":
                for i in deleted:
                    os.unlink(os.path.join(d, names[i - 1]))
                self.send("+OK bye")
                return
            else:
                self.send("-ERR unknown command")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--no-uidl", action="store_true")
    ap.add_argument("--err-retr", type=nums, default=set())
    ap.add_argument("--short-retr", type=nums, default=set())
    ap.add_argument("--garbage-dele", type=int, default=0)
    ap.add_argument("--endless-line", action="store_true")
    opt = ap.parse_args()
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.opt = opt
    print("listening %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
