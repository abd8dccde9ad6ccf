"""Turns bench/text/run.sh's log into the side-by-side table of the README."""

import re
import sys

log = open(sys.argv[1], encoding="utf-8").read()
cores = int(sys.argv[2])


def grab(pattern, default=None):
    m = re.search(pattern, log, re.M)
    return m.group(1) if m else default


print("| measure | rightsguard | baseline | ratio |")
print("|---|---|---|---|")
for m in sorted({int(x) for x in re.findall(r"^scan_(\d+) wall_s", log, re.M)}):
    sw = float(grab(rf"^scan_{m} wall_s ([\d.]+)"))
    bw = float(grab(rf"^baseline_{m} wall_s ([\d.]+)"))
    srss = int(grab(rf"^scan_{m} wall_s [\d.]+ max_rss_kb (\d+)")) / 1024
    sf = grab(rf"^scan_{m} wall_s .* findings (\d+)")
    bf = grab(rf"^baseline_{m} wall_s .* findings (\d+)")
    n = int(grab(r"scan: .*?; (\d+) listings"))
    print(f"| scan, {n:,} listings x {m:,} marks, whole process (wall) | {sw:.1f} s on {cores} cores, "
          f"{srss:.0f} MB RSS, {sf} findings | {bw:.1f} s (1 process), {bf} findings "
          f"| {bw / sw:.1f}x faster ({bw / sw / cores:.1f}x per core) |")
blocks = re.findall(r"engine vs ceiling, (\d+) marks.*?\n(.*?)\n(.*?)\n(.*?)\n(.*?)\n(.*?)\n", log, re.S)
for m, idx, eng, ceil, ratio, inline in blocks:
    e = re.search(r"([\d.]+) listings/s\s+([\d.]+) MB/s", eng)
    c = re.search(r"([\d.]+) listings/s\s+([\d.]+) MB/s", ceil)
    print(f"| match loop, {int(m):,} marks, one core | {float(e.group(1)):,.0f} listings/s, {e.group(2)} MB/s "
          f"| ceiling (plain aho-corasick, lowercased): {float(c.group(1)):,.0f} listings/s, {c.group(2)} MB/s "
          f"| {ratio.split(':')[1].strip()} of the ceiling |")
    print(f"| index, {int(m):,} marks | {idx.split(':', 1)[1].strip()} | | |")
    print(f"| inline check, {int(m):,} marks | {inline.split(':', 1)[1].strip()} | | |")
pg = grab(r"^pg_trgm_us_per_title ([\d.]+)")
first = blocks[0] if blocks else None
if pg and first:
    us = float(re.search(r"([\d.]+) µs", first[5]).group(1))
    print(f"| inline check of one title, {int(first[0]):,} marks | {us:.1f} µs | pg_trgm `mark <% title`: "
          f"{float(pg):,.0f} µs | {float(pg) / us:,.0f}x faster |")
q = grab(r"^scan_\d+_quarter wall_s ([\d.]+)")
if q:
    print(f"\nGrowth with listings: a quarter of the listings took {float(q):.1f} s (whole process, index build included).")
