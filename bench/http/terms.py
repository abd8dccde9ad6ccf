"""Block terms for the listings benchmark: the brand titles of npm
simple-icons, topped up to N with seeded pronounceable strings (the same
generator as bench/text/gen.py), one per line, 2 to 64 characters.

Usage: terms.py --icons simple-icons.json --words words.txt --n 10000 --seed 42
"""
import argparse
import json
import random

CONS = "b c d f g h j k l m n p r s t v w z br cr dr fr gr kr pl pr st tr ch sh th".split()
VOWS = "a e i o u ai ea ou".split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--icons", required=True)
    ap.add_argument("--words", required=True)
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    words = {w.strip().lower() for w in open(a.words) if w.strip()}
    data = json.load(open(a.icons))
    icons = data["icons"] if isinstance(data, dict) else data
    seen, out = set(), []
    for i in icons:
        t = i["title"].strip()
        alnum = sum(c.isalnum() for c in t)
        # Dictionary words ("Apple" aside) would block half the catalogue: a
        # real reviewer refuses them; so does this fixture.
        if alnum < 3 or len(t) > 64 or t.lower() in words or t.lower() in seen:
            continue
        seen.add(t.lower())
        out.append(t)
    while len(out) < a.n:
        n = rng.choice((2, 2, 3, 3, 4))
        w = "".join(rng.choice(CONS) + rng.choice(VOWS) for _ in range(n))
        if rng.random() < 0.3:
            w += rng.choice("nrsklx")
        if w in words or w in seen:
            continue
        seen.add(w)
        out.append(w.capitalize())
    for t in out[: a.n]:
        print(t)


main()
