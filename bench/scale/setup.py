#!/usr/bin/env python3
"""Registers, marks and verifies the benchmark's rights through the API
(bench/scale/run.sh): one trademark of `acme` in class 25 per line of
MARKS, as alice (rights holder), verified by rita (reviewer).

Usage: setup.py BASE_URL ALICE_TOKEN RITA_TOKEN MARKS_FILE
"""
import hashlib
import json
import sys
import urllib.request


def call(base, token, method, path, body):
    req = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode(),
                                 headers={"Authorization": f"Bearer {token}",
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return r.status


def main():
    base, alice, rita, marks_file = sys.argv[1:5]
    marks = [m.strip() for m in open(marks_file) if m.strip()]
    for i, m in enumerate(marks):
        rid = f"tm-{i}"
        call(base, alice, "POST", "/api/v1/rights", {
            "id": rid, "kind": "trademark", "jurisdiction": "CN",
            "registration_number": f"G{i:07d}", "nice_classes": [25], "valid_from": "2020-01-01",
            "certificates": [hashlib.sha256(rid.encode()).hexdigest()]})
        call(base, alice, "PUT", f"/api/v1/rights/{rid}/marks", {"mark": m, "aliases": []})
        call(base, rita, "POST", f"/api/v1/rights/{rid}/decision", {"command": "verify"})
    print(json.dumps({"rights": len(marks)}))


if __name__ == "__main__":
    main()
