"""The inline check with PostgreSQL pg_trgm, the usual do-it-yourself answer:
`SELECT ... FROM marks WHERE mark <% title` over a 10k-mark table with a GIN
trigram index, one query per listing title, as on a listing write.

Usage: pg_trgm.py DSN RIGHTS.jsonl LISTINGS.jsonl [N_TITLES]
Prints the mean latency per title (µs) on the last line.
"""

import json
import sys
import time

import psycopg


def main():
    dsn, rights_path, listings_path = sys.argv[1:4]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    marks = []
    for line in open(rights_path, encoding="utf-8"):
        r = json.loads(line)
        for term in [r.get("mark", "")] + list(r.get("aliases") or []):
            if term.strip():
                marks.append((r["id"], term))
    titles = []
    for line in open(listings_path, encoding="utf-8"):
        titles.append(json.loads(line)["title"])
        if len(titles) >= n:
            break
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        conn.execute("DROP TABLE IF EXISTS rg_bench_marks")
        conn.execute("CREATE TABLE rg_bench_marks (right_id text, mark text)")
        with conn.cursor() as cur:
            with cur.copy("COPY rg_bench_marks (right_id, mark) FROM STDIN") as copy:
                for row in marks:
                    copy.write_row(row)
        conn.execute("CREATE INDEX ON rg_bench_marks USING gin (mark gin_trgm_ops)")
        conn.execute("ANALYZE rg_bench_marks")
        plan = conn.execute("EXPLAIN SELECT right_id FROM rg_bench_marks WHERE mark <%% %s",
                            (titles[0],)).fetchall()
        print("plan:", " / ".join(p[0].strip() for p in plan))
        hits = 0
        for t in titles[:50]:  # warm up
            conn.execute("SELECT right_id FROM rg_bench_marks WHERE mark <%% %s", (t,)).fetchall()
        t0 = time.perf_counter()
        for t in titles:
            hits += len(conn.execute("SELECT right_id FROM rg_bench_marks WHERE mark <%% %s", (t,)).fetchall())
        per = (time.perf_counter() - t0) / len(titles)
        conn.execute("DROP TABLE rg_bench_marks")
    print(f"pg_trgm: {len(marks)} marks, {len(titles)} titles, {hits} hits")
    print(f"pg_trgm_us_per_title {per * 1e6:.1f}")


if __name__ == "__main__":
    main()
