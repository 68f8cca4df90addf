"""Two tool instances (gunicorn, 2 workers each) on one Redis and one PostgreSQL: a login begun
on one instance completes on the other, a learner's session crosses instances at every step,
a bounded load of full sessions at 10, 50 and 100 concurrent learners has no errors at 50, and
with Redis down a login gets a clean 503 page, then works once Redis is back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.lti.platform import Spec
from tests.scale.audit import ags_lag, audit_scores, lost_answers, wait_drained
from tests.scale.cluster import CLIENT_ID, DEPLOYMENT_ID, PUBLIC, Cluster
from tests.scale.conftest import course_of, report, store_of
from tests.scale.learners import Learner, Results, Router, new_client, run_async, run_load, table

LEVELS = {10: 8.0, 50: 8.0, 100: 4.0}  # concurrent learners: seconds of new sessions


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with Cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


class PinnedRouter(Router):
    """Login only on the first instance, the launch only on the second, the rest alternating."""

    def targets(self, url: str) -> list[str]:
        if "/lti/login" in url:
            return [u for u in super().targets(url) if u.startswith(self.instances[0])]
        if "/lti/launch" in url:
            return [u for u in super().targets(url) if u.startswith(self.instances[1])]
        return super().targets(url)[:1]  # no failover: each instance answers its share


def test_login_on_one_instance_completes_on_the_other(cluster: Cluster) -> None:
    course, questions = course_of(cluster)
    results = Results()

    async def one() -> None:
        async with new_client(2) as http:
            learner = Learner(http, PinnedRouter(cluster.bases, cluster.platform),
                              cluster.platform, course, questions, results, "cross-1")
            await learner.session()

    run_async(one())
    assert results.sessions == 1 and not results.errors and not results.clean_failures
    # The launch's state and nonce crossed instances in Redis; the used nonce stays marked.
    cache = redis.Redis.from_url(cluster.redis.url)
    assert cache.keys("packager-lti:used-nonce:*")
    cache.close()
    sessions = store_of(cluster)
    assert lost_answers(sessions, results.acked) == []
    assert len(results.acked["cross-1"]) == 6  # kc-1, 3 of the 4 pooled, ev-1, ev-2
    wait_drained(sessions, timeout=60)
    scores = audit_scores(sessions, cluster.platform, "cross-", results.last_score,
                          results.completed)
    report("cross-instance session", [scores.line()])
    assert scores.learners == 1 and not scores.missing and not scores.wrong_final
    assert scores.duplicates_posted == scores.duplicates_recorded == scores.unknown == 0
    assert cluster.tracebacks() == []


def test_load_at_10_50_100_learners(cluster: Cluster, tmp_path: Path) -> None:
    course, questions = course_of(cluster)
    router = Router(cluster.bases, cluster.platform)
    sessions = store_of(cluster)
    rows, lags, drains = [], {}, {}
    for n, seconds in LEVELS.items():
        prefix = f"load{n}-"
        results = run_async(run_load(router, cluster.platform, course, questions, n,
                                       seconds, prefix))
        drains[n] = wait_drained(sessions, timeout=90)
        lag = ags_lag(sessions, prefix)
        if lag:
            lags[n] = lag
        rows.append((n, results))
        scores = audit_scores(sessions, cluster.platform, prefix, results.last_score,
                              results.completed)
        lost = lost_answers(sessions, results.acked)
        report(f"{n} learners", [
            f"{results.sessions} sessions in {results.wall:.1f} s, errors {dict(results.errors)}, "
            f"clean failures {dict(results.clean_failures)}, failovers {results.failovers}",
            f"outbox drained {drains[n]:.1f} s after the load; scores: {scores.line()}",
            *results.samples[:5]])
        assert lost == [], lost[:10]
        problems = scores.missing + scores.wrong_final
        assert not problems, problems[:10]
        assert scores.duplicates_posted == scores.duplicates_recorded == scores.unknown == 0
        assert results.sessions >= n // 2
        if n <= 50:
            assert not results.errors and not results.clean_failures, results.samples[:5]
    text = table(rows, lags)
    report("load table (2 instances x 2 workers x 8 threads, Redis, PostgreSQL)", [text])
    (tmp_path / "load.md").write_text(text + "\n")
    assert cluster.tracebacks() == []


def test_redis_down_gives_a_clean_503_then_logins_work_again(cluster: Cluster) -> None:
    course, questions = course_of(cluster)
    spec = Spec(user="redis-1", client_id=CLIENT_ID, custom={"course": "basic"})
    sid = cluster.platform.new_launch(spec).rsplit("/", 1)[1]
    params = {"iss": cluster.platform.issuer, "login_hint": "redis-1", "lti_message_hint": sid,
              "target_link_uri": f"{PUBLIC}/lti/launch", "client_id": CLIENT_ID,
              "lti_deployment_id": DEPLOYMENT_ID, "lti1p3_new_window": "1"}
    cluster.redis.stop()
    try:
        for base in cluster.bases:
            resp = httpx.get(f"{base}/lti/login", params=params, timeout=30)
            assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
            assert "try again" in resp.text and "Traceback" not in resp.text
    finally:
        cluster.redis.start()
    results = Results()

    async def one() -> None:
        async with new_client(2) as http:
            await Learner(http, Router(cluster.bases, cluster.platform), cluster.platform,
                          course, questions, results, "redis-2").session()

    run_async(one())
    assert results.sessions == 1 and not results.errors and not results.clean_failures
    assert cluster.tracebacks() == []
