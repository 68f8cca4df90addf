"""cmi5 launches of the basic course in headless Chromium against Ralph's LRS."""

from __future__ import annotations

import time

import pytest

from tests.cmi5.flows import (
    STATE_ID,
    fail_flow,
    open_au,
    pass_flow,
    publisher_au,
    real_errors,
    resume_flow,
    statements_of,
)
from tests.cmi5.learner import current_title, drained, take_course, wait_ready
from tests.cmi5.rules import problems, verb
from tests.conftest import ROOTS

BASIC = ROOTS / "basic"


def test_pass_sends_a_conformant_sequence(lms, au_url, answers, context, page_errors):
    pass_flow(BASIC, lms, au_url, answers, context, page_errors)


def test_fail_sends_failed_with_a_score_below_mastery(lms, au_url, answers, context,
                                                      page_errors):
    fail_flow(BASIC, lms, au_url, answers, context, page_errors)


def test_resume_continues_the_same_registration(lms, au_url, answers, context, page_errors):
    resume_flow(BASIC, lms, au_url, answers, context, page_errors)


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


def test_statements_queued_offline_survive_a_reload(lms, au_url, answers, context):
    launch = lms.launch(au_url(BASIC), publisher_au(BASIC))
    page = context.new_page()
    page.goto(launch.url)
    wait_ready(page)
    lms.offline = True
    page.locator("button.nav-next").click()
    take_course(page, answers(BASIC, True), stop_at="Post-test part 1")
    assert page.evaluate("Packager.cmi5.pending()") > 0
    page.reload()  # pagehide: Terminated joins the queue, and nothing reaches the LMS
    wait_ready(page)
    names = [verb(s) for s in lms.lrs.statements(launch.registration)]
    assert "answered" not in names and "terminated" not in names
    lms.offline = False  # the reloaded page delivers what the ended session left
    drained(page, timeout=30000)
    sts = statements_of(lms, launch.registration, until="terminated")
    assert problems(sts, [launch]) == []
    names = [verb(s) for s in sts]
    assert "answered" in names and names[-1] == "terminated"
    assert lms.requests.count("POST", "/fetch/") == 1
