"""Reads the phase lines of wrk_summary.py on stdin and prints, for each
swept load (phases named LOAD@cN), the connection count where throughput
stops growing: the first N whose next step up adds less than 10 % requests/s
(or the largest N swept, if it never stops)."""
import re
import sys

runs = {}
for line in sys.stdin:
    m = re.match(r"(\w+)@c(\d+)\s+p50\s+([\d.]+) ms\s+p99\s+([\d.]+) ms\s+(\d+) req/s\s+non-2xx (\d+)", line)
    if m:
        load, c, p50, p99, rps, bad = m.groups()
        runs.setdefault(load, []).append((int(c), float(p50), float(p99), int(rps), int(bad)))
for load, points in runs.items():
    points.sort()
    knee = points[-1]
    for here, nxt in zip(points, points[1:]):
        if nxt[3] < here[3] * 1.10:
            knee = here
            break
    best = max(points, key=lambda p: p[3])
    errors = sum(p[4] for p in points)
    print(f"{load} saturates at {knee[0]} connections: {knee[3]} req/s, p50 {knee[1]} ms, p99 {knee[2]} ms "
          f"(peak {best[3]} req/s at {best[0]}; non-2xx over the sweep: {errors})")
