"""The flows the cmi5 tests share: launch, take the course, read back what Ralph stored."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packager.loader import load_course
from tests.cmi5.learner import current_title, drained, take_course, wait_ready
from tests.cmi5.lms import LMS, Launch
from tests.cmi5.rules import problems, verb

STATE_ID = "packager.state"


def publisher_au(course_dir: Path) -> str:
    """The AU id cmi5.xml gives the course with the default IRI base."""
    return f"https://packager.example/courses/{course_dir.name}/au"


def statements_of(lms: LMS, registration: str, until: str | None = None,
                  count: int = 1, timeout: float = 20) -> list[dict[str, Any]]:
    """The registration's statements in Ralph, waiting until ``until`` appears ``count`` times."""
    deadline = time.monotonic() + timeout
    while True:
        sts = lms.lrs.statements(registration)
        if until is None or sum(verb(s) == until for s in sts) >= count:
            return sts
        if time.monotonic() > deadline:
            raise AssertionError(f"no {count}x {until} in {[verb(s) for s in sts]}")
        time.sleep(0.25)


def saved_state(lms: LMS, launch: Launch) -> dict[str, Any]:
    """The AU's own state document, as the LMS's State API holds it."""
    doc = lms.get_state(launch.activity_id, launch.actor, launch.registration, STATE_ID)
    assert doc is not None, "the AU saved no state through the State API"
    return json.loads(doc)


def open_au(context: Any, launch: Launch, page_errors: Callable[[Any], list[str]]
            ) -> tuple[Any, list[str]]:
    """Open the launch URL in a new tab and wait for the course; returns (page, errors)."""
    page = context.new_page()
    errors = page_errors(page)
    page.goto(launch.url)
    wait_ready(page)
    return page, errors


def real_errors(errors: list[str]) -> list[str]:
    """Console errors, less Chromium's note of the State API's 404 for a state not saved yet."""
    return [e for e in errors if "status of 404" not in e]


def exit_to_lms(page: Any, lms: LMS) -> None:
    """Press Exit and land on the LMS's returnURL."""
    page.locator("button.exit-button").click()
    page.wait_for_url(lms.base + "return", timeout=20000)


def assessment_title(course_dir: Path) -> str:
    """The first page of the course's assessment."""
    course, _ = load_course(course_dir)
    assert course is not None
    module = next(m for m in course.modules if m.kind == "assessment")
    return module.pages[0].title


def pass_flow(course_dir: Path, lms: LMS, au_url: Callable[[Path], str],
              answers: Callable[..., dict[str, Any]], context: Any,
              page_errors: Callable[[Any], list[str]]) -> None:
    """Take the course right: passed, completed, terminated, in order and conformant."""
    launch = lms.launch(au_url(course_dir), publisher_au(course_dir),
                        return_url=lms.base + "return")
    page, errors = open_au(context, launch, page_errors)
    assert page.evaluate("Packager.learnerName") == "Pat Learner"
    answered = take_course(page, answers(course_dir, True))
    drained(page)
    exit_to_lms(page, lms)
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    names = [verb(s) for s in sts]
    assert names[:2] == ["launched", "initialized"] and names[-1] == "terminated"
    assert names.count("answered") == len(answered)
    (passed,) = [s for s in sts if verb(s) == "passed"]
    assert passed["result"]["score"]["scaled"] == 1 and passed["result"]["success"] is True
    assert names.count("completed") == 1 and "failed" not in names
    assert names.index("passed") < names.index("completed") < names.index("terminated")
    assert "progressed" in names
    graded = [s for s in sts if verb(s) == "answered" and "success" in s["result"]]
    assert graded and all(s["result"]["success"] is True for s in graded)
    state = saved_state(lms, launch)
    assert state["cmi5"]["completed"] and state["cmi5"]["passed"]
    assert lms.requests.count("POST", "/fetch/") == 1 and lms.violations == []
    assert lms.relayed and set(lms.relayed) <= {200, 204}  # Ralph accepted every statement
    assert real_errors(errors) == []


def fail_flow(course_dir: Path, lms: LMS, au_url: Callable[[Path], str],
              answers: Callable[..., dict[str, Any]], context: Any,
              page_errors: Callable[[Any], list[str]]) -> None:
    """Take the course wrong: one failed below mastery, no passed, no completed."""
    launch = lms.launch(au_url(course_dir), publisher_au(course_dir),
                        return_url=lms.base + "return")
    page, errors = open_au(context, launch, page_errors)
    take_course(page, answers(course_dir, False))
    drained(page)
    exit_to_lms(page, lms)
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    names = [verb(s) for s in sts]
    (failed,) = [s for s in sts if verb(s) == "failed"]
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] == 0
    assert "passed" not in names and "completed" not in names  # completion needs a pass
    assert names[-1] == "terminated" and real_errors(errors) == []


def resume_flow(course_dir: Path, lms: LMS, au_url: Callable[[Path], str],
                answers: Callable[..., dict[str, Any]], context: Any,
                page_errors: Callable[[Any], list[str]]) -> None:
    """Leave before the assessment, relaunch the same registration, finish."""
    right = answers(course_dir, True)
    first = lms.launch(au_url(course_dir), publisher_au(course_dir))
    page, _ = open_au(context, first, page_errors)
    page.locator("button.nav-next").click()
    answered_before = take_course(page, right, stop_at=assessment_title(course_dir))
    where = current_title(page)
    drained(page)
    page.close(run_before_unload=True)  # the learner closes the window: pagehide ends it
    statements_of(lms, first.registration, until="terminated")

    second = lms.launch(au_url(course_dir), publisher_au(course_dir),
                        registration=first.registration)
    page, errors = open_au(context, second, page_errors)
    assert current_title(page) == where  # resumed where the learner left
    answered_after = take_course(page, right)
    assert not set(answered_before) & set(answered_after)  # earlier answers were kept
    drained(page)
    page.locator("button.exit-button").click()
    sts = statements_of(lms, first.registration, until="terminated", count=2)
    assert problems(sts, [first, second]) == []
    names = [verb(s) for s in sts]
    assert names.count("completed") == 1 and names.count("passed") == 1
    assert lms.violations == [] and real_errors(errors) == []
