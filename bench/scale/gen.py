#!/usr/bin/env python3
"""Seeded inputs of the scale benchmark (bench/scale/run.sh).

Writes into OUT:
  rights.jsonl      K trademark rights of `acme` in class 25, one mark each
                    (pronounceable seeded strings), for `rightsguard scan`
  listings.jsonl    N listings in category Shoes, INFRINGING percent naming
                    one of the marks, for `rightsguard scan`
  listings.tsv      the same listings as rows of the `listings` table
                    (id, seller, state, body, version, updated_at) for COPY
  categories.json   {"Shoes": [25]}

Usage: gen.py OUT N K SEED INFRINGING_PERCENT
"""
import json
import os
import random
import sys

NOUNS = ["running shoes", "leather boots", "canvas trainers", "wool socks",
         "summer sandals", "hiking boots", "slip-on loafers", "ankle boots"]


def mark(rng):
    cons, vows = "BDFGKLMNPRSTVZ", "AEIOU"
    return "".join(rng.choice(cons) + rng.choice(vows) for _ in range(3)) + rng.choice(cons)


def main():
    out, n, k, seed, pct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    rng = random.Random(seed)
    os.makedirs(out, exist_ok=True)
    marks = []
    while len(marks) < k:
        m = mark(rng)
        if m not in marks:
            marks.append(m)
    with open(f"{out}/rights.jsonl", "w") as f:
        for i, m in enumerate(marks):
            f.write(json.dumps({"id": f"tm-{i}", "owner": "acme", "kind": "trademark", "mark": m,
                                "aliases": [], "nice_classes": [25], "jurisdiction": "CN"}) + "\n")
    with open(f"{out}/marks.txt", "w") as f:
        f.write("\n".join(marks) + "\n")
    with open(f"{out}/categories.json", "w") as f:
        json.dump({"Shoes": [25]}, f)
    at = "2026-11-29T00:00:00Z"
    at_us = 1795910400000000
    infringing = 0
    with open(f"{out}/listings.jsonl", "w") as lj, open(f"{out}/listings.tsv", "w") as tsv:
        for i in range(n):
            lid = f"B{i:08d}"
            noun = rng.choice(NOUNS)
            if rng.randrange(100) < pct:
                title = f"{rng.choice(marks)} {noun} no. {i}"
                infringing += 1
            else:
                title = f"{noun} no. {i}"
            lj.write(json.dumps({"id": lid, "seller_id": "shop1", "title": title, "description": "",
                                 "category": "Shoes", "images": []}) + "\n")
            body = json.dumps({"id": lid, "seller": "shop1",
                               "content": {"title": title, "description": "", "category": "Shoes",
                                           "price": None, "image_hashes": []},
                               "state": {"state": "active"}, "created_at": at, "updated_at": at},
                              separators=(",", ":"))
            # COPY text format: backslashes doubled; no tabs or newlines in the JSON.
            tsv.write(f"{lid}\tshop1\tactive\t{body.replace(chr(92), chr(92) * 2)}\t1\t{at_us}\n")
    print(json.dumps({"listings": n, "marks": k, "infringing": infringing}))


if __name__ == "__main__":
    main()
