"""Reads wrk --latency output on stdin; prints one line for PHASE:
p50, p99 (ms), requests/s and the count of non-2xx answers."""
import re
import sys

out = sys.stdin.read()


def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]


p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
print(f"{sys.argv[1]:<13} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  {rps:8.0f} req/s  non-2xx {bad.group(1) if bad else 0}")
