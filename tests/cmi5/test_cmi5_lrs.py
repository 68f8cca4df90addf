"""cmi5 launches in headless Chromium against Ralph's LRS: pass, fail, resume, outage, modes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from packager.loader import load_course
from tests.cmi5.learner import answers_for, current_title, drained, take_course, wait_ready
from tests.cmi5.lms import LMS, Launch
from tests.cmi5.rules import problems, verb
from tests.conftest import ETHICS, ROOTS

BASIC = ROOTS / "basic"
STATE_ID = "packager.state"
COURSES = {"basic": BASIC, "ethics": ETHICS}


def publisher_au(course_dir: Path) -> str:
    return f"https://packager.example/courses/{course_dir.name}/au"


@pytest.fixture(scope="module")
def answers() -> Callable[[Path, bool], dict[str, Any]]:
    cache: dict[tuple[Path, bool], dict[str, Any]] = {}

    def get(course_dir: Path, right: bool = True) -> dict[str, Any]:
        if (course_dir, right) not in cache:
            course, _ = load_course(course_dir)
            assert course is not None
            cache[course_dir, right] = answers_for(course, right)
        return cache[course_dir, right]

    return get


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.fixture
def au_url(cmi5_site: Callable[..., Path], serve_dir: Callable[[Path], str]
           ) -> Callable[[Path], str]:
    served: dict[Path, str] = {}

    def get(course_dir: Path) -> str:
        if course_dir not in served:
            served[course_dir] = serve_dir(cmi5_site(course_dir)) + "index.html"
        return served[course_dir]

    return get


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
    doc = lms.get_state(launch.activity_id, launch.actor, launch.registration, STATE_ID)
    assert doc is not None, "the AU saved no state through the State API"
    return json.loads(doc)


def open_au(context: Any, launch: Launch, page_errors: Callable[[Any], list[str]]
            ) -> tuple[Any, list[str]]:
    page = context.new_page()
    errors = page_errors(page)
    page.goto(launch.url)
    wait_ready(page)
    return page, errors


def real_errors(errors: list[str]) -> list[str]:
    """Console errors, less Chromium's note of the State API's 404 for a state not saved yet."""
    return [e for e in errors if "status of 404" not in e]


def exit_to_lms(page: Any, lms: LMS) -> None:
    page.locator("button.exit-button").click()
    page.wait_for_url(lms.base + "return", timeout=20000)


@pytest.mark.parametrize("name", ["basic", "ethics"])
def test_pass_sends_a_conformant_sequence(name, lms, au_url, answers, context, page_errors):
    course_dir = COURSES[name]
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


def test_answered_statements_describe_the_interaction(lms, au_url, answers, context,
                                                      page_errors):
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC))
    page, _ = open_au(context, launch, page_errors)
    take_course(page, answers(BASIC, True))
    drained(page)
    sts = statements_of(lms, launch.registration)
    by_id = {s["object"]["id"].rsplit("/", 1)[1]: s for s in sts if verb(s) == "answered"}
    base = "https://packager.example/courses/basic/questions/"
    assert all(s["object"]["id"] == base + qid for qid, s in by_id.items())
    kc = by_id["kc-1"]
    assert kc["object"]["definition"]["interactionType"] == "choice"
    assert kc["result"]["response"] == "C2" and kc["result"]["success"] is True
    assert kc["context"]["contextActivities"]["parent"] == [
        {"id": launch.activity_id, "objectType": "Activity"}]
    assert by_id["ev-1"]["object"]["definition"]["interactionType"] == "likert"
    assert by_id["ev-1"]["result"]["response"] == "L5" and "success" not in by_id["ev-1"]["result"]
    assert by_id["ev-2"]["object"]["definition"]["interactionType"] == "long-fill-in"
    if "t-text" in by_id:  # the pool draws 3 of the 4 graded questions
        assert by_id["t-text"]["result"]["response"] == "TARASOFF"
        assert by_id["t-text"]["result"]["success"] is True
    if "t-multiple" in by_id:
        assert by_id["t-multiple"]["result"]["response"] == "C1[,]C3"
    if "t-tf" in by_id:
        assert by_id["t-tf"]["result"]["response"] == "true"


@pytest.mark.parametrize("name", ["basic", "ethics"])
def test_fail_sends_failed_with_a_score_below_mastery(name, lms, au_url, answers, context,
                                                      page_errors):
    course_dir = COURSES[name]
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


def test_retake_after_failing_passes_once(lms, au_url, answers, context, page_errors):
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC))
    page, _ = open_au(context, launch, page_errors)
    take_course(page, answers(BASIC, False), stop_at="Course evaluation")
    page.locator("button.nav-prev").click()
    page.get_by_role("button", name="Retake the assessment").click()
    take_course(page, answers(BASIC, True))
    drained(page)
    page.locator("button.exit-button").click()
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    names = [verb(s) for s in sts]
    assert names.count("failed") == 1 and names.count("passed") == 1
    assert names.index("failed") < names.index("passed")


@pytest.mark.parametrize("name", ["basic", "ethics"])
def test_resume_continues_the_same_registration(name, lms, au_url, answers, context,
                                                page_errors):
    course_dir = COURSES[name]
    right = answers(course_dir, True)
    first = lms.launch(au_url(course_dir), publisher_au(course_dir))
    page, _ = open_au(context, first, page_errors)
    page.locator("button.nav-next").click()
    answered_before = take_course(page, right, stop_at=_assessment_title(course_dir))
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


def _assessment_title(course_dir: Path) -> str:
    course, _ = load_course(course_dir)
    assert course is not None
    module = next(m for m in course.modules if m.kind == "assessment")
    return module.pages[0].title


def test_outage_queues_statements_and_a_relaunch_delivers_them(lms, au_url, answers, context):
    right = answers(BASIC, True)
    first = lms.launch(au_url(BASIC), publisher_au(BASIC))
    page = context.new_page()
    page.goto(first.url)
    wait_ready(page)
    lms.offline = True
    page.locator("button.nav-next").click()
    take_course(page, right, stop_at="Post-test part 1")
    assert page.evaluate("Packager.cmi5.pending()") > 0
    lms.offline = False  # the LRS is back: the adapter retries by itself
    drained(page, timeout=30000)
    lms.offline = True
    take_course(page, right, stop_at="Course evaluation")
    queued = page.evaluate("Packager.cmi5.pending()")
    assert queued > 0
    page.close(run_before_unload=True)  # Terminated cannot reach the LRS either
    time.sleep(0.5)
    before = [verb(s) for s in lms.lrs.statements(first.registration)]
    assert "terminated" not in before and "passed" not in before
    lms.offline = False

    second = lms.launch(au_url(BASIC), publisher_au(BASIC), registration=first.registration)
    page = context.new_page()
    page.goto(second.url)
    wait_ready(page)
    drained(page)
    sts = statements_of(lms, first.registration, until="initialized", count=2)
    assert problems(sts, [first, second], finished=False) == []
    names = [verb(s) for s in sts]
    # Everything of the first session, its Terminated included, came before the second one.
    first_done = names.index("terminated")
    assert "passed" in names[:first_done]
    assert [n for n in names[first_done + 1:] if n != "launched"][0] == "initialized"
    assert first_done < max(i for i, n in enumerate(names) if n == "initialized")


def test_a_reload_after_terminated_sends_nothing_more(lms, au_url, context, page_errors):
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC))
    page, _ = open_au(context, launch, page_errors)
    page.locator("button.nav-next").click()
    drained(page)
    page.reload()  # pagehide ends the session; the same launch URL cannot start another
    wait_ready(page)
    assert "No LMS connection" in page.locator(".notice").inner_text()
    page.locator("button.nav-next").click()
    time.sleep(1)
    sts = statements_of(lms, launch.registration, until="terminated")
    names = [verb(s) for s in sts]
    assert names[-1] == "terminated" and problems(sts, [launch]) == []
    assert lms.requests.count("POST", "/fetch/") == 1 and lms.violations == []


@pytest.mark.parametrize("mode", ["Browse", "Review"])
def test_browse_and_review_send_only_initialized_and_terminated(mode, lms, au_url, answers,
                                                                context, page_errors):
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC), mode=mode)
    page, _ = open_au(context, launch, page_errors)
    if mode == "Review":
        page.locator("button.nav-next").click()  # the knowledge check: read-only in Review
        assert page.locator("section.page:not([hidden]) fieldset.question input").first \
            .is_disabled()
    else:
        take_course(page, answers(BASIC, True))
    drained(page)
    page.locator("button.exit-button").click()
    sts = statements_of(lms, launch.registration, until="terminated")
    assert [verb(s) for s in sts] == ["launched", "initialized", "terminated"]
    assert problems(sts, [launch]) == []
    assert lms.get_state(launch.activity_id, launch.actor, launch.registration, STATE_ID) is None


def test_the_lms_mastery_score_decides(lms, au_url, answers, context, page_errors):
    wrong_once = {**answers(BASIC, True), "t-single": ["Wrong one"]}
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC), mastery=0.5)
    page, _ = open_au(context, launch, page_errors)
    assert page.evaluate("Packager.data.passingScore") == 50
    take_course(page, wrong_once)
    drained(page)
    page.locator("button.exit-button").click()
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    (passed,) = [s for s in sts if verb(s) == "passed"]  # 2 of 3 would fail at the course's 80
    assert passed["result"]["score"]["scaled"] >= 0.5


def test_per_module_au_reports_its_module_only(lms, cmi5_site, serve_dir, answers, context,
                                               page_errors):
    base = serve_dir(cmi5_site(BASIC, au="per-module"))
    publisher = "https://packager.example/courses/basic/modules/02-test"
    launch = lms.launch(base + "index.html?sco=02-test", publisher)
    page, errors = open_au(context, launch, page_errors)
    assert current_title(page) == "Post-test part 1"
    take_course(page, answers(BASIC, True))
    drained(page)
    page.locator("button.exit-button").click()
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    names = [verb(s) for s in sts]
    assert names.count("passed") == 1 and names.count("completed") == 1
    assert names.count("answered") == 3  # the pool's 3 questions, nothing of other modules
    assert real_errors(errors) == []
