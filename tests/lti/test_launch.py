"""End to end in Chromium: launch in a cross-site iframe, take the quiz, AGS score arrives."""

from __future__ import annotations

import re

import requests

from tests.lti.driver import boot, course_frame, questions, wait_for, walk
from tests.lti.platform import Spec


def launch(browser, platform, user: str, **spec):
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user=user, client_id="tool-1", **spec)))
    return ctx, page


def final_score(platform, user: str):
    return wait_for(lambda: next((s for s in reversed(platform.scores)
                                  if s["userId"] == user and s["activityProgress"] == "Completed"),
                                 None))


def test_launch_take_quiz_and_score_reaches_platform(lti_browser, platform, start_tool):
    tool = start_tool(platform)
    ctx, page = launch(lti_browser, platform, "alice", custom={"course": "basic"})
    frame = course_frame(page)
    data = boot(frame)
    # The browser never holds the key: no hashes in the course data, no key file served.
    course_data = frame.locator("#course-data").text_content()
    assert '"key":[]' in course_data and not re.search(r'"key":\["', course_data)
    assert requests.get(f"{tool.base}/c/basic/1.0.0/answerkey.json").status_code == 404
    assert requests.get(f"{tool.base}/c/basic/1.0.0/index.html").status_code == 404
    assert requests.get(f"{tool.base}/c/basic/1.0.0/runtime/lti.js").status_code == 200
    # Cross-site iframe cookies: SameSite=None; Secure; Partitioned (kept per platform site).
    cookies = [c for c in ctx.cookies() if c["name"].startswith("lti1p3")]
    assert {c["name"] for c in cookies} >= {"lti1p3-session-id"}
    assert all(c["sameSite"] == "None" and c["secure"] and
               c.get("partitionKey") == "http://platform.test" for c in cookies)
    # The runtime draws the pool from its seed; the server agrees on which questions count.
    answered = walk(frame, questions(), correct=True)
    assert "t-single" in answered or "t-multiple" in answered
    score = final_score(platform, "alice")
    assert score["scoreGiven"] == 100 and score["scoreMaximum"] == 100
    assert score["gradingProgress"] == "FullyGraded"
    assert score["lineitem"] == "link-1" and "passed" in score["comment"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", score["timestamp"])
    assert frame.locator(".notice").text_content().startswith("You have completed")
    # Each graded submit also sent a score along the way (in progress, then complete).
    assert any(s["activityProgress"] == "InProgress" for s in platform.scores)
    assert platform.errors == []
    assert data["learnerName"] == "User alice"
    ctx.close()


def test_wrong_answers_not_passed_then_retake(lti_browser, platform, start_tool):
    tool = start_tool(platform)
    ctx, page = launch(lti_browser, platform, "bob", custom={"course": "basic"})
    frame = course_frame(page)
    walk(frame, questions(), correct=False)
    last = wait_for(lambda: [s for s in platform.scores if s["userId"] == "bob"
                             and s["gradingProgress"] == "FullyGraded"])[-1]
    assert last["scoreGiven"] == 0 and last["activityProgress"] == "InProgress"
    assert "not passed" in last["comment"]
    # Retake: a new attempt (new seed) the server accepts because the first one failed.
    from tests.lti.driver import current
    while not current(frame).locator(".retake:not([hidden])").count():
        frame.locator("button.nav-prev").click()
    current(frame).locator(".retake").click()
    retaken = walk(frame, questions(), correct=True)
    assert retaken and all(q.startswith("t-") for q in retaken)  # only the assessment again
    final = wait_for(lambda: [s for s in platform.scores if s["userId"] == "bob"
                              and s["activityProgress"] == "Completed"])[-1]
    assert final["scoreGiven"] == 100 and "passed" in final["comment"]
    with tool.tool.sessions() as db:
        from packager.lti.store import Attempt, Progress
        mine = db.query(Progress).filter_by(sub="bob", resource_link_id="link-1").one()
        assert sorted(a.number for a in db.query(Attempt).filter_by(progress_id=mine.id)) == [1, 2]
    ctx.close()


def test_module_launch_and_resume(lti_browser, platform, start_tool):
    tool = start_tool(platform)
    spec = {"custom": {"course": "basic", "module": "02-test"}, "resource_link": "link-test"}
    ctx, page = launch(lti_browser, platform, "carol", **spec)
    frame = course_frame(page)
    assert frame.locator("section.page").count() == 2
    qs = questions()
    from tests.lti.driver import answer_page
    first = answer_page(frame, qs, correct=True)
    assert first
    ctx.close()
    # Relaunch: the saved state and the server's verdicts come back; answers stay final.
    ctx, page = launch(lti_browser, platform, "carol", **spec)
    frame = course_frame(page)
    verdicts = boot(frame)["verdicts"]
    assert sorted(verdicts) and all(v["correct"] is True for v in verdicts.values())
    shown = frame.locator(f"#q-{first[0]} .q-feedback")
    assert shown.text_content().startswith("Correct")
    assert frame.locator(f"#q-{first[0]} input").first.is_disabled()
    frame.locator("button.nav-next").click()
    walk(frame, qs, correct=True)
    score = final_score(platform, "carol")
    assert score["lineitem"] == "link-test" and score["scoreGiven"] == 100
    with tool.tool.sessions() as db:
        from packager.lti.store import Progress
        rows = db.query(Progress).filter_by(sub="carol").all()
        assert [r.document for r in rows] == ["modules/02-test/index.html"]
    ctx.close()
