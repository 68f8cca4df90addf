"""The learner API behind runtime/lti.js: answers graded on the server, progress and time.

Every call carries the launch token; the user, link and course come from the validated launch
stored with it, never from the request body, so nobody can write another user's answers or
post a score: scores are computed here and sent by the outbox.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from packager.lti.ags import Outbox
from packager.lti.bundles import Library
from packager.lti.grading import MAX_STATE, Course, GradingError, parse_module_entry, read_state
from packager.lti.grading import outcome as compute_outcome
from packager.lti.store import Answer, Attempt, Launch, Progress

GRADE_FIELDS = {"answers", "modules"}
STATE_FIELDS = {"state", "location"}


class Learner:
    """Grades and records for one launch at a time."""

    def __init__(self, sessions: sessionmaker[Session], library: Library, outbox: Outbox) -> None:
        self._sessions = sessions
        self._library = library
        self._outbox = outbox

    # ---- helpers ----
    def _launch(self, db: Session, token: str) -> tuple[Launch, Progress, Course]:
        launch = db.get(Launch, token) if token else None
        if launch is None or launch.kind != "resource" or launch.progress_id is None:
            raise GradingError("unknown launch: open the course from your platform", 401)
        if launch.expires < time.time():
            raise GradingError("this launch has expired: open the course again", 401)
        progress = db.get(Progress, launch.progress_id)
        assert progress is not None
        bundle = self._library.get(progress.course_id)
        if bundle is None:
            raise GradingError("the course is no longer installed", 410)
        return launch, progress, bundle.course(progress.document)

    @staticmethod
    def _attempts(db: Session, progress: Progress) -> dict[int, Attempt]:
        """The current (latest) attempt of each module."""
        current: dict[int, Attempt] = {}
        for att in db.scalars(select(Attempt).where(Attempt.progress_id == progress.id)):
            if att.module not in current or att.number > current[att.module].number:
                current[att.module] = att
        return current

    @staticmethod
    def _answers(db: Session, progress: Progress, course: Course,
                 attempts: dict[int, Attempt]) -> dict[int, Answer]:
        """Answers of the current attempt of each module."""
        out = {}
        for ans in db.scalars(select(Answer).where(Answer.progress_id == progress.id)):
            mi = course.questions[ans.question]["module"]
            number = attempts[mi].number if mi in attempts else 1
            if ans.attempt == number:
                out[ans.question] = ans
        return out

    def _outcome(self, db: Session, progress: Progress, course: Course):
        attempts = self._attempts(db, progress)
        answers = self._answers(db, progress, course, attempts)
        state = read_state(course, progress.state)
        return compute_outcome(course, {qi: a.response for qi, a in answers.items()},
                               {mi: a.seed for mi, a in attempts.items()}, state,
                               progress.seconds)

    # ---- API ----
    def boot(self, token: str, progress: Progress, course: Course) -> dict[str, Any]:
        """What lti.js starts from: saved state and the verdicts of the answers it holds."""
        with self._sessions() as db:
            attempts = self._attempts(db, progress)
            answers = self._answers(db, progress, course, attempts)
            return {
                "token": token, "state": progress.state, "location": progress.location,
                "verdicts": {str(qi): {"response": a.response, "correct": a.correct}
                             for qi, a in answers.items()},
                "mode": "normal",
            }

    def grade(self, token: str, body: Any) -> dict[str, Any]:
        """Grade and store a page's answers; queue a score when a graded question was answered."""
        if not isinstance(body, dict) or set(body) - GRADE_FIELDS or \
                not isinstance(body.get("answers"), list):
            raise GradingError("expected {answers: [{index, response}], modules: [...]}")
        if len(body["answers"]) > 1000:
            raise GradingError("too many answers in one request")
        with self._sessions() as db, db.begin():
            launch, progress, course = self._launch(db, token)
            attempts = self._attempts(db, progress)
            modules = body.get("modules") or []
            verdicts, graded_now = [], False
            for item in body["answers"]:
                if not isinstance(item, dict) or set(item) != {"index", "response"}:
                    raise GradingError("each answer is {index, response}")
                qi = item["index"]
                response = course.clean_response(qi, item["response"])
                q = course.questions[qi]
                number = self._attempt_for(db, course, progress, attempts, q["module"],
                                           modules, qi)
                correct = course.is_correct(qi, response)
                existing = db.scalar(select(Answer).where(
                    Answer.progress_id == progress.id, Answer.question == qi,
                    Answer.attempt == number))
                final = q["graded"] or course.modules[q["module"]]["kind"] == "evaluation"
                if existing is not None and final:
                    if existing.response != response:
                        raise GradingError("this question was already answered", 409)
                elif existing is not None:
                    existing.response, existing.correct = response, correct
                    existing.at = time.time()
                else:
                    db.add(Answer(progress_id=progress.id, question=qi, attempt=number,
                                  response=response, correct=correct))
                    graded_now = graded_now or q["graded"]
                verdicts.append({"index": qi, "correct": correct})
            db.flush()
            result = self._outcome(db, progress, course)
            newly_done = result.completed and not progress.completed
            progress.completed = progress.completed or result.completed
            if graded_now or newly_done:
                self._queue(db, launch, progress, course, result)
        self._outbox.wake()
        return {"verdicts": verdicts, "completed": result.completed,
                "score": round(result.percent, 2) if result.graded else None}

    def _attempt_for(self, db: Session, course: Course, progress: Progress,
                     attempts: dict[int, Attempt], mi: int, modules: list[Any], qi: int) -> int:
        """The attempt an answer belongs to; opens the next one when a retake is allowed."""
        if not course.pooled(mi):
            return 1
        entry = parse_module_entry(modules[mi] if mi < len(modules) else None)
        if entry is None:
            raise GradingError("the attempt of this assessment is missing")
        seed, number = entry
        limit = course.modules[mi]["attempts"] or 0
        if limit and number > limit:
            raise GradingError("no attempts left for this assessment", 403)
        current = attempts.get(mi)
        if current is None and number == 1 or current is not None and number == current.number + 1:
            if current is not None:
                self._check_retake(db, course, progress, mi)
            current = Attempt(progress_id=progress.id, module=mi, number=number, seed=seed)
            db.add(current)
            db.flush()
            attempts[mi] = current
        elif current is None or number != current.number or seed != current.seed:
            raise GradingError("this is not the current attempt of the assessment", 409)
        if qi not in course.drawn(mi, current.seed):
            raise GradingError("this question is not part of the attempt", 400)
        return number

    def _check_retake(self, db: Session, course: Course, progress: Progress, mi: int) -> None:
        result = self._outcome(db, progress, course)
        if progress.completed or result.passed is not False:
            raise GradingError("a retake is only open after a failed, finished attempt", 409)

    def save_state(self, token: str, body: Any) -> dict[str, Any]:
        """Store the runtime's saved state, bookmark and time; queue a score on completion."""
        if not isinstance(body, dict) or set(body) - STATE_FIELDS:
            raise GradingError("expected {state, location}")
        state, location = body.get("state"), body.get("location")
        if not isinstance(state, str) or len(state) > MAX_STATE:
            raise GradingError("state must be a string of at most 64 KiB")
        if location is not None and (not isinstance(location, str) or len(location) > 255):
            raise GradingError("location must be a page id")
        with self._sessions() as db, db.begin():
            launch, progress, course = self._launch(db, token)
            progress.state = state
            progress.location = location or progress.location
            # Time counts only as far as the wall clock since the first launch allows.
            elapsed = time.time() - progress.first_seen
            progress.seconds = min(read_state(course, state).seconds, elapsed)
            progress.updated = time.time()
            result = self._outcome(db, progress, course)
            if result.completed and not progress.completed:
                progress.completed = True
                self._queue(db, launch, progress, course, result)
        self._outbox.wake()
        return {"completed": progress.completed}

    def _queue(self, db: Session, launch: Launch, progress: Progress, course: Course,
               result: Any) -> None:
        done = progress.completed
        title = course.data["title"]
        payload: dict[str, Any] = {
            "userId": progress.sub,
            "activityProgress": "Completed" if done else "InProgress",
            "gradingProgress": "FullyGraded" if result.all_answered or
            (done and not result.graded) else "Pending",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }
        if result.graded:
            payload.update(scoreGiven=round(result.percent, 2), scoreMaximum=100)
            state = ("passed" if result.passed else "not passed") if result.all_answered \
                else "in progress"
            payload["comment"] = (f"{title}: {result.earned:g} of {result.possible:g} points "
                                  f"({result.answered}/{result.graded} answered), {state}")
        elif done:
            payload.update(scoreGiven=100, scoreMaximum=100, comment=f"{title}: completed")
        else:
            payload["comment"] = f"{title}: in progress"
        modules = course.modules
        label = title if len(modules) != 1 or progress.document == "index.html" \
            else f"{title}: {modules[0]['title']}"
        Outbox.enqueue(db, progress, launch.claims, payload, label)
