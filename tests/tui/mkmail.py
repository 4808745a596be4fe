#!/usr/bin/env python3
"""Writes the handmade messages the TUI tests look for into DIR, dated just
before now so they are the newest of their folder: an attachment, wide
characters, quoted text and a signature.  usage: mkmail.py DIR"""
import base64
import email.utils
import os
import sys
import time

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
now = int(time.time())

def date(ago):
    return email.utils.formatdate(now - ago)

msgs = {
    "1-attachment.eml": f"""From: Ada Lovelace <ada@example.org>
To: alice@example.org
Subject: Newest one with a report
Date: {date(60)}
Message-ID: <tui-1@petrel.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Here is the report you asked for.
--b1
Content-Type: application/pdf; name="report.pdf"
Content-Disposition: attachment; filename="report.pdf"
Content-Transfer-Encoding: base64

{base64.b64encode(b"%PDF-1.4 petrel test report").decode()}
--b1--
""",
    "2-wide.eml": f"""From: =?utf-8?b?{base64.b64encode("山田太郎".encode()).decode()}?= <taro@example.jp>
To: alice@example.org
Subject: =?utf-8?b?{base64.b64encode("会議の資料 wide 📎 chars".encode()).decode()}?=
Date: {date(120)}
Message-ID: <tui-2@petrel.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

日本語の本文です。
""",
    "3-quoted.eml": f"""From: Grace Hopper <grace@example.org>
To: alice@example.org
Subject: Third: quoted text
Date: {date(180)}
Message-ID: <tui-3@petrel.test>
Content-Type: text/plain; charset=utf-8

I agree.

> Shall we ship it?
>> Only after the tests pass.

-- 
Grace
""",
}
for name, text in msgs.items():
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.write(text)
