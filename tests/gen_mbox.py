#!/usr/bin/env python3
"""Writes an mbox of N generated messages (unique Message-IDs, varied dates,
senders and subjects, some threads) for tests and benchmarks.
usage: gen_mbox.py N OUT [--seed S]"""
import random
import sys
import time

def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    seed = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[3] == "--seed" else 1
    rnd = random.Random(seed)
    names = ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Ken Thompson", "Barbara Liskov",
             "Dennis Ritchie", "Frances Allen", "Edsger Dijkstra", "Margaret Hamilton", "Linus"]
    words = ("build release patch review merge test server client cache index thread "
             "folder sync offline terminal kernel memory network latency").split()
    now = int(time.time())
    with open(out, "w", encoding="utf-8") as f:
        for i in range(n):
            name = rnd.choice(names)
            addr = name.split()[0].lower() + "@example.org"
            date = now - rnd.randint(0, 365 * 86400)
            subj = " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 7)))
            mid = "gen-%d-%d@petrel.test" % (seed, i)
            f.write("From %s %s\n" % (addr, time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(date))))
            f.write("From: %s <%s>\n" % (name, addr))
            f.write("To: alice@example.org\n")
            f.write("Subject: %s%s\n" % ("Re: " if i % 5 == 1 else "", subj))
            f.write("Date: %s\n" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(date)))
            f.write("Message-ID: <%s>\n" % mid)
            if i % 5 == 1:
                f.write("In-Reply-To: <gen-%d-%d@petrel.test>\n" % (seed, i - 1))
            if i % 3 == 0:
                f.write("Status: RO\n")
            f.write("\n")
            for _ in range(rnd.randint(3, 20)):
                f.write(" ".join(rnd.choice(words) for _ in range(rnd.randint(4, 12))) + "\n")
            if i % 17 == 0:
                f.write(">From the desk of %s\n" % name)  # mboxrd quoting of a From line
            f.write("\n")

if __name__ == "__main__":
    main()
