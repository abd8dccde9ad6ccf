"""The do-it-yourself baseline for `rightsguard scan`: pyahocorasick over
NFKC + case-folded text, whole-word check, class gating, one JSON line per
hit on stdout. Same input files, same kind of output, one process.

It does no confusables, leet, spelt-out letters, joined words, dictionary
rule or fuzzy matching, and its spans are offsets in the folded text.

Usage: baseline.py RIGHTS.jsonl LISTINGS.jsonl CATEGORIES.json > findings.jsonl
"""

import json
import sys
import time
import unicodedata

import ahocorasick


def fold(s):
    return unicodedata.normalize("NFKC", s).casefold()


def main():
    rights_path, listings_path, categories_path = sys.argv[1:4]
    t0 = time.perf_counter()
    automaton = ahocorasick.Automaton()
    entries = {}
    for line in open(rights_path, encoding="utf-8"):
        r = json.loads(line)
        classes = frozenset(r.get("nice_classes") or [])
        for term in [r.get("mark", "")] + list(r.get("aliases") or []):
            key = fold(term).strip()
            if key:
                entries.setdefault(key, []).append((r["id"], classes))
    for key, value in entries.items():
        automaton.add_word(key, (key, value))
    automaton.make_automaton()
    categories = {k: frozenset(v) for k, v in json.load(open(categories_path, encoding="utf-8")).items()}
    build = time.perf_counter() - t0

    out = sys.stdout
    listings = findings = 0
    t1 = time.perf_counter()
    for line in open(listings_path, encoding="utf-8"):
        listing = json.loads(line)
        listings += 1
        classes = categories.get(listing.get("category"), frozenset())
        for field in ("title", "description"):
            text = fold(listing.get(field) or "")
            for end, (key, value) in automaton.iter(text):
                start = end - len(key) + 1
                if start > 0 and text[start - 1].isalnum():
                    continue
                if end + 1 < len(text) and text[end + 1].isalnum():
                    continue
                for right_id, right_classes in value:
                    if right_classes and not (right_classes & classes):
                        continue
                    out.write(json.dumps({"listing_id": listing["id"], "right_id": right_id, "method": "exact",
                                          "field": field, "matched": text[start:end + 1], "score": 1.0,
                                          "start": start, "end": end + 1}, ensure_ascii=False))
                    out.write("\n")
                    findings += 1
    secs = time.perf_counter() - t1
    print(f"baseline: {listings} listings, {findings} findings, build {build:.2f} s, "
          f"scan {secs:.2f} s ({listings / secs:.0f} listings/s)", file=sys.stderr)


if __name__ == "__main__":
    main()
