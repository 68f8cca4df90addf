"""After a load run: compare what learners were told with the tool's store and the platform.

Answers: every answer a client got a 200 for is in the store, unchanged. Scores: every score
row the tool queued is delivered or superseded by a newer one (never pending or dead), each
learner's latest score is on the platform, and the platform's gradebook shows it.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from packager.lti.store import Answer, OutboxItem, Progress
from tests.lti.platform import Platform


def wait_drained(sessions: sessionmaker[Session], timeout: float = 120.0) -> float:
    """Wait until no score is waiting in the outbox; returns the seconds it took."""
    start = time.time()
    while True:
        with sessions() as db:
            waiting = db.scalar(select(OutboxItem.id).where(OutboxItem.status == "pending")
                                .limit(1))
        if waiting is None:
            return time.time() - start
        if time.time() - start > timeout:
            raise AssertionError(f"scores still waiting after {timeout:.0f} s")
        time.sleep(0.5)


def ags_lag(sessions: sessionmaker[Session], prefix: str) -> tuple[float, float, float] | None:
    """p50/p95/p99 seconds from queueing a score to the platform taking it."""
    with sessions() as db:
        rows = db.execute(select(OutboxItem.payload, OutboxItem.created, OutboxItem.delivered)
                          .where(OutboxItem.status == "delivered")).all()
    lags = [d - c for p, c, d in rows if str(p.get("userId", "")).startswith(prefix)]
    if len(lags) < 2:
        return None
    q = statistics.quantiles(lags, n=100, method="inclusive")
    return q[49], q[94], q[98]


def lost_answers(sessions: sessionmaker[Session], acked: dict[str, dict[int, Any]]
                 ) -> list[str]:
    """Acknowledged answers missing from the store or stored differently."""
    stored: dict[str, dict[int, Any]] = defaultdict(dict)
    with sessions() as db:
        for sub, question, response in db.execute(
                select(Progress.sub, Answer.question, Answer.response)
                .join(Answer, Answer.progress_id == Progress.id)):
            stored[sub][question] = response
    lost = []
    for user, answers in acked.items():
        for qi, response in answers.items():
            have = stored.get(user, {}).get(qi, "<missing>")
            want = sorted(response) if isinstance(response, list) else response
            if have != want:
                lost.append(f"{user} q{qi}: acknowledged {response!r}, stored {have!r}")
    return lost


@dataclass
class ScoreAudit:
    """Scores queued by the tool against what the platform recorded."""

    queued: int = 0
    status: Counter[str] = field(default_factory=Counter)
    learners: int = 0
    recorded: int = 0  # scores in the platform's gradebook
    duplicates_posted: int = 0  # posts of a score already recorded (resends after lost answers)
    duplicates_recorded: int = 0  # the same score twice in the gradebook
    missing: list[str] = field(default_factory=list)  # delivered/latest scores not recorded
    unknown: int = 0  # recorded scores the tool never queued
    wrong_final: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"queued {self.queued} ({dict(self.status)}), learners {self.learners}, "
                f"recorded {self.recorded}, duplicate posts {self.duplicates_posted}, "
                f"duplicates recorded {self.duplicates_recorded}, missing {len(self.missing)}, "
                f"unknown {self.unknown}, wrong final {len(self.wrong_final)}")


def _key(payload: dict[str, Any]) -> tuple[str, str, Any, str]:
    return (str(payload.get("userId")), str(payload.get("timestamp")),
            payload.get("scoreGiven"), str(payload.get("activityProgress")))


def audit_scores(sessions: sessionmaker[Session], platform: Platform, prefix: str,
                 last_score: dict[str, float | None], completed: dict[str, bool]
                 ) -> ScoreAudit:
    """Every learner's latest score reached the platform once; nothing was lost or invented."""
    out = ScoreAudit()
    with sessions() as db:
        rows = db.execute(select(OutboxItem.id, OutboxItem.payload, OutboxItem.status)
                          .order_by(OutboxItem.id)).all()
    rows = [r for r in rows if str(r.payload.get("userId", "")).startswith(prefix)]
    recorded = Counter(_key(s) for s in list(platform.scores)
                       if str(s.get("userId", "")).startswith(prefix))
    latest: dict[str, Any] = {}
    for row in rows:
        out.queued += 1
        out.status[row.status] += 1
        latest[row.payload["userId"]] = row
        if row.status == "delivered" and not recorded[_key(row.payload)]:
            out.missing.append(f"delivered but not recorded: {row.payload}")
    out.learners = len(latest)
    for user, row in latest.items():
        if row.status != "delivered" or not recorded[_key(row.payload)]:
            out.missing.append(f"latest score of {user} ({row.status}) not on the platform")
    queued = {_key(r.payload) for r in rows}
    out.recorded = sum(recorded.values())
    out.duplicates_recorded = sum(n - 1 for n in recorded.values() if n > 1)
    out.unknown = sum(n for k, n in recorded.items() if k not in queued)
    out.duplicates_posted = platform.duplicates
    # The gradebook's result (newest timestamp) is what the learner was last told.
    book: dict[str, dict[str, Any]] = {}
    for s in platform.scores:
        user = str(s.get("userId", ""))
        if user.startswith(prefix) and (user not in book
                                        or s["timestamp"] > book[user]["timestamp"]):
            book[user] = s
    for user, score in last_score.items():
        got = book.get(user)
        if got is None or score is not None and got.get("scoreGiven") != score:
            out.wrong_final.append(f"{user}: told {score}, gradebook {got}")
        elif completed.get(user) and got.get("activityProgress") != "Completed":
            out.wrong_final.append(f"{user}: completed, gradebook {got}")
    return out
