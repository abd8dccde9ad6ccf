"""Seeds complaints for the read load over a running server's API: one
verified right of the rights holder, N listings of the seller, N complaints
(one listing each; every third one upheld by the reviewer, so reads meet
complaints in several states). Prints the complaint ids, one per line, to
the file given, and a JSON summary on stdout.

Usage: complaints.py BASE REVIEWER_TOKEN HOLDER_TOKEN SELLER_TOKEN N IDS_OUT
"""
import concurrent.futures as cf
import json
import sys
import time

from api import Api

base, reviewer, holder, seller, n, out = sys.argv[1:7]
n = int(n)
call = Api(base).call

t0 = time.time()
rid = "tm-reads"
call("POST", "/api/v1/rights", holder, {
    "id": rid, "kind": "trademark", "jurisdiction": "CN", "registration_number": "777",
    "nice_classes": [25], "valid_from": "2020-01-01", "certificates": ["ab" * 32]})
call("POST", f"/api/v1/rights/{rid}/decision", reviewer, {"command": "verify"})


def one(i):
    lid = f"read-{i}"
    call("POST", "/api/v1/listings", seller, {
        "id": lid, "title": f"Canvas shoe model {i}", "category": "Shoes"})
    cid = f"c-read-{i}"
    call("POST", "/api/v1/complaints", holder, {
        "id": cid, "right": rid, "reason": "counterfeit",
        "listings": [{"id": lid, "seller": "shop1", "category_classes": [25]}],
        "evidence": [f"{i:064x}"]})
    if i % 3 == 0:
        call("POST", f"/api/v1/complaints/{cid}/commands", reviewer,
             {"command": "decide", "listing": lid, "decision": {"decision": "uphold"}})
    return cid


with cf.ThreadPoolExecutor(8) as ex:
    ids = list(ex.map(one, range(n)))
with open(out, "w") as f:
    f.write("\n".join(ids) + "\n")
print(json.dumps({"complaints": len(ids), "seed_s": round(time.time() - t0, 1)}))
