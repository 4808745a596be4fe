#!/usr/bin/env python3
"""Mint OAuth2 access tokens (JWT, HS256) that the test Dovecot accepts.

The main Dovecot validates tokens locally (oauth2 passdb with
introspection_mode = local): it checks the HMAC against the key that
start.sh generated, and the token's dates.  This script signs with that key,
so it stands in for an identity provider; it is what tests put in
token-command.

  oauth-token.py KEYFILE USER              a token valid for an hour
  oauth-token.py KEYFILE USER --expired    expired an hour ago
  oauth-token.py KEYFILE USER --bad-signature
                                           valid dates, signed with another key
  oauth-token.py KEYFILE USER --ttl SECS   valid for SECS seconds

KEYFILE holds the raw HMAC key (start.sh exports it as PETREL_TEST_OAUTH_KEY).
Prints the token and a newline.  Standard library only.
"""
import base64
import hashlib
import hmac
import json
import sys
import time


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mint(key, user, now, ttl):
    header = {"alg": "HS256", "typ": "JWT"}
    # Dovecot takes the user name from "sub" (username_attribute = sub in
    # start.sh) and checks it against the name the client logs in with.
    claims = {"sub": user, "iat": now, "nbf": now - 60, "exp": now + ttl,
              "iss": "petrel-tests", "scope": "mail"}
    signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64url(json.dumps(claims, separators=(",", ":")).encode()))
    sig = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        key = f.read()
    user = argv[2]
    now = int(time.time())
    ttl = 3600
    rest = argv[3:]
    if rest == ["--expired"]:
        now -= 7200
    elif rest == ["--bad-signature"]:
        key = hashlib.sha256(b"not the server's key" + key).digest()
    elif len(rest) == 2 and rest[0] == "--ttl":
        ttl = int(rest[1])
    elif rest:
        print("oauth-token.py: unknown option %s" % " ".join(rest), file=sys.stderr)
        return 2
    print(mint(key, user, now, ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
