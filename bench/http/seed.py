"""Seeds the blocklist of a running server over its API: verified rights
of one rights holder (100 terms per right, in rotating Nice classes), one
block term request per line of TERMS, each approved by the admin. Requests
run on parallel connections; concurrent approvals share index rebuilds.

Usage: seed.py BASE ADMIN_TOKEN REVIEWER_TOKEN HOLDER_TOKEN TERMS.txt
"""
import concurrent.futures as cf
import json
import sys
import time

from api import Api

base, admin, reviewer, holder, terms_file = sys.argv[1:6]
CLASS_SETS = [[9], [25], [18, 25], [3], [9, 28], [14]]
call = Api(base).call

terms = [t.strip() for t in open(terms_file) if t.strip()]
rights = (len(terms) + 99) // 100
t0 = time.time()
with cf.ThreadPoolExecutor(8) as ex:
    def right(i):
        rid = f"tm-bench-{i}"
        call("POST", "/api/v1/rights", holder, {
            "id": rid, "kind": "trademark", "jurisdiction": "CN", "registration_number": str(1000 + i),
            "nice_classes": CLASS_SETS[i % len(CLASS_SETS)], "valid_from": "2020-01-01",
            "certificates": [f"{i:064x}"]})
        call("POST", f"/api/v1/rights/{rid}/decision", reviewer, {"command": "verify"})
    list(ex.map(right, range(rights)))
    ids = list(ex.map(lambda it: call("POST", "/api/v1/block-terms", holder,
                                      {"right": f"tm-bench-{it[0] // 100}", "term": it[1]})["id"],
                      enumerate(terms)))
t1 = time.time()
with cf.ThreadPoolExecutor(32) as ex:
    list(ex.map(lambda i: call("POST", f"/api/v1/block-terms/{i}/decision", admin, {"command": "approve"}), ids))
t2 = time.time()
print(json.dumps({"rights": rights, "terms": len(ids), "request_s": round(t1 - t0, 1),
                  "approve_s": round(t2 - t1, 1)}))
