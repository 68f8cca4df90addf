"""Driving a launched course the way a learner does, and waiting for the platform."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from packager.loader import load_course
from packager.model import Question
from tests.conftest import ROOTS
from tests.coursekit import picks

T = TypeVar("T")
BASIC = ROOTS / "basic"


def questions(course_dir=BASIC) -> dict[str, Question]:
    course, _ = load_course(course_dir)
    assert course is not None
    return {q.id: q for q in course.questions}


def wait_for(predicate: Callable[[], T], timeout: float = 45.0, step: float = 0.1) -> T:
    end = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > end:
            raise AssertionError("timed out waiting")
        time.sleep(step)


def course_frame(page: Any) -> Any:
    """The tool's iframe once the course runtime is ready."""
    frame = page.frame_locator("#tool")
    try:
        frame.locator("html[data-packager-ready]").wait_for(timeout=30000)
    except Exception as exc:
        urls = [f.url for f in page.frames]
        try:  # a frame stuck mid-navigation must not hang the report as well
            body = frame.locator("body").inner_text(timeout=2000)[:1500]
        except Exception:
            body = "(no body)"
        raise AssertionError(f"course did not start: frames {urls}\n{body}") from exc
    return frame


def boot(frame: Any) -> dict[str, Any]:
    return json.loads(frame.locator("#lti-launch").text_content())


def fill(fieldset: Any, q: Question, correct: bool) -> None:
    if q.type == "text":
        text = ("A thoughtful comment." if q.is_free_text
                else q.answers[0] if correct else "certainly not the answer")
        fieldset.locator("input[type=text]").fill(text)
        return
    for i in picks(q, correct):
        fieldset.locator(f"input[value='{i}']").check()


def current(frame: Any) -> Any:
    return frame.locator("section.page:not([hidden])")


def answer_page(frame: Any, qs: dict[str, Question], correct: bool) -> list[str]:
    """Answer and submit the shown page; waits for the server's verdicts. Returns the ids."""
    page = current(frame)
    done = []
    for fs in page.locator("fieldset.question:not([hidden])").all():
        if fs.locator("input").first.is_disabled():
            continue
        q = qs[fs.get_attribute("id")[2:]]
        fill(fs, q, correct)
        done.append(q.id)
    if done:
        page.locator("button.submit").click()
        for qid in done:
            frame.locator(f"#q-{qid} .q-feedback").filter(has_text="").first.wait_for()
            wait_for(lambda qid=qid: frame.locator(f"#q-{qid} .q-feedback").text_content())
    return done


def walk(frame: Any, qs: dict[str, Question], correct: bool = True) -> list[str]:
    """From the shown page to the last: answer, submit, Next. Returns the answered ids."""
    answered = []
    while True:
        answered += answer_page(frame, qs, correct)
        nxt = frame.locator("button.nav-next")
        if nxt.is_disabled():
            return answered
        before = current(frame).get_attribute("id")
        nxt.click()
        wait_for(lambda before=before: current(frame).get_attribute("id") != before)
