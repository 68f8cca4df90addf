"""Load on the LTI tool at scale: full learner sessions at rising concurrency, as a table.

Starts the deployment of tests/scale/cluster.py (Redis, PostgreSQL, two gunicorn instances,
the test platform), runs the learners of tests/scale/learners.py against it and prints
sessions per second and p50/p95/p99 latency per step (markdown)::

    .venv/bin/python bench/lti_load.py                      # 10, 50, 100 learners, 20 s each
    .venv/bin/python bench/lti_load.py --levels 10,50 --seconds 30 --threads 4
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.scale.audit import ags_lag, audit_scores, lost_answers, wait_drained  # noqa: E402
from tests.scale.cluster import Cluster  # noqa: E402
from tests.scale.conftest import course_of, store_of  # noqa: E402
from tests.scale.learners import Router, run_load, table  # noqa: E402


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    return f"{os.cpu_count()} cores, {mem:.0f} GiB, load average {os.getloadavg()[0]:.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--levels", default="10,50,100", help="concurrent learners, rising")
    parser.add_argument("--seconds", type=float, default=20.0, help="load per level")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker")
    args = parser.parse_args(argv)
    levels = [int(n) for n in args.levels.split(",")]
    print(f"machine: {machine()}", flush=True)
    rows, lags, failures = [], {}, 0
    with Cluster(workers=args.workers, threads=args.threads) as cluster:
        course, questions = course_of(cluster)
        router = Router(cluster.bases, cluster.platform)
        sessions = store_of(cluster)
        for n in levels:
            prefix = f"bench{n}-"
            results = asyncio.run(run_load(router, cluster.platform, course, questions, n,
                                           args.seconds, prefix))
            drained = wait_drained(sessions)
            lag = ags_lag(sessions, prefix)
            if lag:
                lags[n] = lag
            scores = audit_scores(sessions, cluster.platform, prefix, results.last_score,
                                  results.completed)
            lost = lost_answers(sessions, results.acked)
            failures += len(lost) + len(scores.missing) + len(scores.wrong_final)
            rows.append((n, results))
            print(f"{n} learners: {results.sessions} sessions in {results.wall:.1f} s, "
                  f"errors {dict(results.errors)}, clean failures "
                  f"{dict(results.clean_failures)}; outbox drained in {drained:.1f} s; "
                  f"answers lost {len(lost)}; scores: {scores.line()}", flush=True)
            for sample in results.samples[:3]:
                print("  ", sample[:300])
        tracebacks = cluster.tracebacks()
    print(f"\n2 instances x {args.workers} gunicorn workers x {args.threads} threads, "
          f"Redis, PostgreSQL; {machine()}\n")
    print(table(rows, lags))
    if tracebacks:
        print(f"\n{len(tracebacks)} tracebacks in the tool's logs; the first:\n{tracebacks[0]}")
    return 1 if failures or tracebacks else 0


if __name__ == "__main__":
    sys.exit(main())
