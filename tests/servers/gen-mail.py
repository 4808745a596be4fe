#!/usr/bin/env python3
"""Write N generated messages (and given .eml files) straight into a Maildir
folder, as its owner. Used by load-mail.sh; one process for any N.

  gen-mail.py MAILDIR N [FILE.eml ...]

Messages: varied senders and subjects, dates spread over the last year
(INTERNALDATE = file mtime = Date:), about 15% replies threaded with
In-Reply-To/References, unique Message-IDs, some non-ASCII, some with an
attachment. About 30% unread (the newest unread in new/, the rest in cur/
without S), some flagged or answered. Files are named after their date, so
Dovecot assigns UIDs in date order. PETREL_LOAD_SEED (default 1) fixes
the content; Message-IDs stay unique across runs.
"""
import base64
import datetime
import email.charset
import email.header
import email.message
import email.parser
import email.utils
import os
import random
import sys
import time

PEOPLE = [
    ("Ada Lovelace", "ada@analytical.example"), ("Grace Hopper", "grace@navy.example"),
    ("Alan Turing", "alan@bletchley.example"), ("Edsger Dijkstra", "ewd@tue.example"),
    ("Barbara Liskov", "liskov@mit.example"), ("Ken Thompson", "ken@bell.example"),
    ("Dennis Ritchie", "dmr@bell.example"), ("Margaret Hamilton", "mh@apollo.example"),
    ("Donald Knuth", "knuth@stanford.example"), ("Frances Allen", "fran@ibm.example"),
    ("Linus Torvalds", "linus@kernel.example"), ("Radia Perlman", "radia@net.example"),
    ("Jörg Müller", "joerg@beispiel.example"), ("Zoë Ødegård", "zoe@nordic.example"),
    ("José Núñez", "jose@ejemplo.example"), ("山田 太郎", "taro@rei.example"),
    ("Petrel Mailing List", "petrel-dev@lists.example.org"), ("GitHub", "noreply@forge.example"),
    ("Bob", "bob@example.org"), ("Carol White", "carol@example.com"),
    ("Dave Null", "dave@example.net"), ("Erin Black", "erin@example.com"),
    ("Frank Ocean", "frank@example.net"), ("", "alerts@monitor.example"),
]
TOPICS = [
    "quarterly report", "server migration", "lunch on Friday", "release 0.3 planning",
    "build failure on main", "conference travel", "invoice #{n}", "password reset",
    "team offsite", "code review: threading fix", "backup rotation", "new laptop",
    "meeting notes", "holiday schedule", "IMAP IDLE timeouts", "draft proposal",
    "budget approval", "bug #{n}: crash on startup", "welcome aboard", "weekly digest",
]
PREFIXES = ["", "", "", "Re: ", "Fwd: ", "[petrel-dev] ", "Question about ", "Update: ",
            "URGENT: ", "FYI: "]
UNICODE_SUBJECTS = ["Grüße aus Köln", "Café naïve résumé", "会議の議事録", "Ωmega test ✓",
                    "Привет, как дела?", "Smörgåsbord 🍣"]
ZONES = [datetime.timezone(datetime.timedelta(hours=h)) for h in (0, 0, 1, 2, -5, -8, 9, 5.5)]
WORDS = ("the of and to in is that for it as was with be by on not he this are or his "
         "from at which but have an they you were her she there been one all we their "
         "can has more if no so said what up its about into than them only other new "
         "some could time these two may then do first any my now such like our over man "
         "me even most made after also did many before must through back years where "
         "much your way well down should because each just those people how too little "
         "state good very make world still own see men work long get here between both "
         "life being under never day same another know while last might us great old "
         "year off come since against go came right used take three server mailbox "
         "message folder client release build test patch thread inbox draft").split()


def sentence(rng):
    w = [rng.choice(WORDS) for _ in range(rng.randint(5, 16))]
    return " ".join(w).capitalize() + rng.choice([".", ".", ".", "?", "!"])


def paragraph(rng):
    text = " ".join(sentence(rng) for _ in range(rng.randint(1, 5)))
    # Wrap at 72 columns like a mail client would.
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > 72:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    lines.append(cur)
    return "\n".join(lines)


def _addr(person):
    name, mail = person
    if not name:
        return mail
    return email.utils.formataddr((name, mail), charset="utf-8")


ADDR = {p: _addr(p) for p in PEOPLE}


def addr(person):
    return ADDR.get(person) or _addr(person)


def enc_subject(s):
    if s.isascii():
        return s
    return "=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?="


def vsize(data):
    return len(data) + data.count(b"\n") - data.count(b"\r\n")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    maildir, n, files = argv[1], int(argv[2]), argv[3:]
    for sub in ("tmp", "new", "cur"):
        if not os.path.isdir(os.path.join(maildir, sub)):
            print(f"gen-mail: {maildir} is not a Maildir", file=sys.stderr)
            return 1
    # Read the given files while we may still be root, then become the
    # Maildir's owner so Dovecot can read and rename what we write.
    emls = []
    for f in files:
        with open(f, "rb") as fh:
            emls.append((f, fh.read()))
    st = os.stat(maildir)
    if os.getuid() == 0 and st.st_uid != 0:
        os.setgroups([])
        os.setgid(st.st_gid)
        os.setuid(st.st_uid)
    os.umask(0o077)

    rng = random.Random(int(os.environ.get("PETREL_LOAD_SEED", "1")))
    # Making text word by word is the slow part: draw from a pool instead.
    pool = [paragraph(rng) for _ in range(min(3000, 50 + n // 4))]
    para = lambda: rng.choice(pool)  # noqa: E731
    run = os.urandom(6).hex()
    pid = os.getpid()
    now = time.time()
    tmpdir = os.path.join(maildir, "tmp")
    seq = 0

    def put(data, when, sub, flags):
        nonlocal seq
        seq += 1
        base = (f"{int(when)}.M{int((when % 1) * 1e6)}P{pid}Q{seq}R{run}.petrel-test"
                f",S={len(data)},W={vsize(data)}")
        name = base if sub == "new" else f"{base}:2,{flags}"
        tmp = f"{tmpdir}/{base}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.utime(tmp, (when, when))
        os.rename(tmp, f"{maildir}/{sub}/{name}")

    # Dates ascending, so a reply always comes after what it answers.
    dates = sorted(now - rng.uniform(60, 365 * 86400) for _ in range(n))
    msgs = []  # (message-id, references, subject, from) of earlier messages
    unread_new_from = int(n * 0.95)
    for i, when in enumerate(dates):
        sender = rng.choice(PEOPLE)
        to = ("Alice", "alice@example.org")
        mid = f"<{i}.{run}@petrel-test.example>"
        headers = []
        body_parts = []
        parent = None
        if msgs and rng.random() < 0.15:
            parent = msgs[max(0, len(msgs) - rng.randint(1, 50))]
        if parent:
            pmid, prefs, psubj, pfrom = parent
            subject = psubj if psubj.startswith("Re: ") else "Re: " + psubj
            refs = (prefs + " " + pmid).strip()
            # Keep References bounded like real clients do.
            refs = " ".join(refs.split()[-10:])
            headers.append(f"In-Reply-To: {pmid}")
            headers.append(f"References: {refs}")
            body_parts.append(para())
            body_parts.append(f"On {email.utils.formatdate(when - 3600)}, {pfrom} wrote:\n"
                              + "\n".join("> " + ln for ln in para().split("\n")))
        else:
            refs = ""
            if rng.random() < 0.05:
                subject = rng.choice(UNICODE_SUBJECTS)
            else:
                subject = (rng.choice(PREFIXES) + rng.choice(TOPICS)).replace(
                    "{n}", str(rng.randint(100, 9999)))
                subject = subject[0].upper() + subject[1:]
            for _ in range(rng.randint(1, 4)):
                body_parts.append(para())
        if not subject.isascii() or not sender[0].isascii():
            body_parts.append("Grüße, saludos, よろしく — ✓")
        body_parts.append("-- \n" + (sender[0] or sender[1]))
        body = "\n\n".join(body_parts) + "\n"
        msgs.append((mid, refs, subject, sender[0] or sender[1]))

        headers = [
            f"Return-Path: <{sender[1]}>",
            f"From: {addr(sender)}",
            f"To: {addr(to)}",
            f"Subject: {enc_subject(subject)}",
            f"Date: {email.utils.format_datetime(datetime.datetime.fromtimestamp(when, rng.choice(ZONES)))}",
            f"Message-ID: {mid}",
        ] + headers + ["MIME-Version: 1.0"]
        if rng.random() < 0.1:
            headers.append("Cc: " + addr(rng.choice(PEOPLE)))
        if rng.random() < 0.03:
            boundary = f"=_petrel_{i}_{run}"
            att = base64.encodebytes(rng.randbytes(rng.randint(200, 3000))).decode()
            text = (f"Content-Type: multipart/mixed; boundary=\"{boundary}\"\n\n"
                    f"This is a multi-part message in MIME format.\n\n--{boundary}\n"
                    "Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n"
                    f"{body}\n--{boundary}\n"
                    f"Content-Type: application/octet-stream; name=\"data-{i}.bin\"\n"
                    f"Content-Disposition: attachment; filename=\"data-{i}.bin\"\n"
                    "Content-Transfer-Encoding: base64\n\n"
                    f"{att}\n--{boundary}--\n")
        else:
            text = ("Content-Type: text/plain; charset=utf-8\n"
                    "Content-Transfer-Encoding: 8bit\n\n" + body)
        data = ("\n".join(headers) + "\n" + text).encode()

        seen = rng.random() < 0.7
        flags = ""
        if rng.random() < 0.05:
            flags += "F"
        if seen and rng.random() < 0.1:
            flags += "R"
        if seen:
            flags += "S"
        sub = "new" if (not seen and i >= unread_new_from and not flags) else "cur"
        put(data, when, sub, flags)

    for name, data in emls:
        when = now
        date = email.parser.BytesHeaderParser().parsebytes(data).get("Date")
        if date:
            try:
                when = email.utils.parsedate_to_datetime(str(date)).timestamp()
            except (TypeError, ValueError, IndexError):
                pass
        put(data, when, "new", "")
    print(f"gen-mail: wrote {n} generated + {len(emls)} given messages into {maildir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
