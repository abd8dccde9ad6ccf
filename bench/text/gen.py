"""Generates benchmark inputs for `rightsguard scan`, from a seed.

Marks: the 3,470 brand titles of npm `simple-icons` (with their "aka" aliases),
then seeded pronounceable strings (two to four consonant-vowel syllables, one
in ten a two-word mark) up to the requested count; none is a dictionary word.
Listings: English words from the engine's own word list (Debian wamerican),
with a brand drawn from the first 10k marks in about a quarter of titles and
a tenth of descriptions, one in three of those written with an evasion
(leet, homoglyph, spaced letters, CamelCase join, a typo).

Usage: gen.py --seed 42 --icons simple-icons.json --words words.txt --out DIR
              --marks 10000,100000 --listings 1000000
"""

import argparse
import json
import os
import random

COMMON = ("for with new the and men women kids size set kit pro max mini pack black white red blue "
          "sale free fast gift case cover bag top").split()
CONS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr kr pl pr st tr ch sh th".split()
VOWS = "a e i o u ai ea ou".split()
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
HOMO = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "i": "\u0456", "p": "\u0440"}


def synth(rng, words, seen):
    while True:
        n = rng.choice((2, 2, 3, 3, 4))
        w = "".join(rng.choice(CONS) + rng.choice(VOWS) for _ in range(n))
        if rng.random() < 0.3:
            w += rng.choice("nrsklx")
        if w in words or w.lower() in seen:
            continue
        seen.add(w.lower())
        return w.capitalize()


def evade(rng, mark):
    k = rng.randrange(5)
    if k == 0:
        return "".join(LEET.get(c, c) if rng.random() < 0.5 else c for c in mark)
    if k == 1:
        return "".join(HOMO.get(c, c) for c in mark)
    if k == 2 and len(mark) <= 8:
        return ".".join(mark.upper().replace(" ", ""))
    if k == 3:
        return mark.title().replace(" ", "") + rng.choice(("Shoes", "Case", "Bag", "Pro"))
    if len(mark) >= 5:
        i = rng.randrange(1, len(mark) - 1)
        return mark[:i] + mark[i + 1:]
    return mark.upper()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--icons", required=True)
    ap.add_argument("--words", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--marks", default="10000,100000")
    ap.add_argument("--listings", type=int, default=1_000_000)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    words = [w.strip() for w in open(a.words) if w.strip()]
    wordset = set(words)
    icons = json.load(open(a.icons))
    sizes = sorted(int(s) for s in a.marks.split(","))
    os.makedirs(a.out, exist_ok=True)

    # Marks.
    marks = []
    seen = set()
    for ic in icons:
        t = ic["title"]
        if t.lower() in seen:
            continue
        seen.add(t.lower())
        marks.append((t, list((ic.get("aliases") or {}).get("aka", []))[:3]))
    while len(marks) < sizes[-1]:
        m = synth(rng, wordset, seen)
        if rng.random() < 0.1:
            m += " " + synth(rng, wordset, seen)
        marks.append((m, []))
    popular = [9, 25, 18, 14, 3, 28, 35, 16, 21, 11]
    classes = []
    for _ in marks:
        n = rng.choice((1, 1, 2, 3))
        classes.append(sorted({rng.choice(popular) if rng.random() < 0.7 else rng.randint(1, 45) for _ in range(n)}))
    for size in sizes:
        with open(os.path.join(a.out, f"rights_{size}.jsonl"), "w") as f:
            for i, ((m, al), cl) in enumerate(zip(marks[:size], classes)):
                f.write(json.dumps({"id": f"r{i}", "owner": f"owner {i}", "kind": "trademark", "mark": m,
                                    "aliases": al, "nice_classes": cl, "jurisdiction": "CN"},
                                   ensure_ascii=False) + "\n")

    # Categories: 40, each with one to three classes.
    cats = {}
    for i in range(40):
        cats[f"category-{i:02d}"] = sorted({rng.choice(popular) if rng.random() < 0.6 else rng.randint(1, 45)
                                            for _ in range(rng.choice((1, 2, 3)))})
    json.dump(cats, open(os.path.join(a.out, "categories.json"), "w"), indent=1)
    catnames = list(cats)

    # Listings.
    brands = [m for m, _ in marks[:10000]]
    vocab = words + COMMON * 200
    with open(os.path.join(a.out, "listings.jsonl"), "w") as f:
        for i in range(a.listings):
            title = rng.choices(vocab, k=rng.randint(4, 10))
            if rng.random() < 0.25:
                b = rng.choice(brands)
                title.insert(rng.randrange(len(title) + 1), evade(rng, b) if rng.random() < 0.33 else b)
            desc = rng.choices(vocab, k=rng.randint(15, 50))
            if rng.random() < 0.1:
                desc.insert(rng.randrange(len(desc) + 1), rng.choice(brands))
            f.write(json.dumps({"id": f"l{i}", "seller_id": f"s{i % 5000}", "title": " ".join(title).capitalize(),
                                "description": " ".join(desc), "category": rng.choice(catnames), "images": []},
                               ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
