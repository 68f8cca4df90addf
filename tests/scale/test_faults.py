"""Faults during a load of 50 learners that lose nothing.

The platform's AGS endpoint fails 30% of score posts (half of them after recording the score,
so the answer is lost and the tool must send again) and hangs past the tool's timeout for a
minute; one tool instance is killed with SIGKILL mid-run; Redis restarts (empty) mid-run.
Afterwards every answer a learner was told was saved is in the store, every learner's latest
score is in the platform's gradebook once, and nobody saw a 500 or a traceback.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from packager.lti.store import OutboxItem
from tests.scale.audit import audit_scores, lost_answers, wait_drained
from tests.scale.cluster import Cluster
from tests.scale.conftest import course_of, report, store_of
from tests.scale.learners import Results, Router, run_async, run_load

LEARNERS = 50
LOAD = 90.0  # seconds of load; the faults below happen inside it
HANG = (8.0, 68.0)  # AGS hangs for a minute (the tool gives up on a post after 15 s)
KILL_AT = 15.0  # kill -9 instance a (master and workers)
REDIS_AT = 40.0  # restart Redis, empty


def test_faults_lose_no_answer_and_no_score(tmp_path: Path) -> None:
    with Cluster(tmp_path / "cluster") as cluster:
        platform = cluster.platform
        platform.fail_rate, platform.dedupe = 0.3, True
        course, questions = course_of(cluster)
        router = Router(cluster.bases, cluster.platform)
        results = Results()
        marks: dict[str, float] = {}

        async def faults(start: float) -> None:
            await asyncio.sleep(HANG[0])
            platform.hang_until = start + HANG[1]
            await asyncio.sleep(KILL_AT - HANG[0])
            await asyncio.to_thread(cluster.instances[0].kill)
            marks["killed"] = time.time()
            await asyncio.sleep(REDIS_AT - KILL_AT)
            await asyncio.to_thread(cluster.redis.restart, 1.0)
            marks["redis back"] = time.time()

        async def run() -> None:
            start = time.time()
            await asyncio.gather(run_load(router, platform, course, questions, LEARNERS, LOAD,
                                          "fault-", results), faults(start))

        run_async(run())
        after_redis = sum(1 for t in results.finished if t > marks["redis back"] + 1)
        platform.fail_rate = 0.0  # the platform recovers; the outbox must empty now
        sessions = store_of(cluster)
        drained = wait_drained(sessions, timeout=150)
        lost = lost_answers(sessions, results.acked)
        scores = audit_scores(sessions, platform, "fault-", results.last_score, results.completed)
        with sessions() as db:
            sends = db.scalar(select(func.sum(OutboxItem.tries))) or 0
            retried_rows = db.scalar(select(func.count()).where(OutboxItem.tries > 1)) or 0
        acked = sum(len(a) for a in results.acked.values())
        report("faults", [
            f"{results.sessions} sessions ({after_redis} finished after the Redis restart), "
            f"{acked} answers acknowledged, {len(lost)} lost; errors {dict(results.errors)}, "
            f"clean failures {dict(results.clean_failures)}, failovers {results.failovers}",
            f"tool: {sends} score sends recorded, {retried_rows} rows sent more than once; "
            f"outbox drained {drained:.1f} s after the load",
            f"platform: {platform.score_attempts} score posts, {platform.failed} refused, "
            f"{platform.acks_lost} recorded with the answer lost, {platform.hung} hung, "
            f"{platform.duplicates} duplicate posts",
            f"scores: {scores.line()}", *results.samples[:5], *scores.missing[:5],
            *scores.wrong_final[:5]])
        tracebacks = cluster.tracebacks()
        platform_errors = list(platform.errors)

    assert not results.errors, results.samples[:5]
    assert set(results.clean_failures) <= {"login 503", "launch 503", "launch 401",
                                           "launch 400", "login 400"}
    assert results.failovers > 0 and "killed" in marks  # the kill was felt, and absorbed
    assert after_redis > 0  # new launches work after the restart
    assert lost == [], lost[:10]
    assert scores.learners >= LEARNERS
    assert not scores.missing and not scores.wrong_final
    assert scores.unknown == scores.duplicates_recorded == 0
    assert Counter(scores.status)["pending"] == Counter(scores.status)["dead"] == 0
    # Posted again only where the platform lost its answer, or a killed worker's send was cut.
    assert scores.duplicates_posted <= platform.acks_lost + 2
    assert platform.failed > 0 and platform.acks_lost > 0 and platform.hung > 0
    assert tracebacks == [], tracebacks[:1]
    assert platform_errors == []
