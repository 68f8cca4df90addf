"""The learner API: every call is tied to the launch; forged scores and other users' answers
are refused; answers are final, pools and attempt limits hold on the server."""

from __future__ import annotations

import json

import pytest
import requests

from packager.lti.grading import Course, read_state
from packager.lti.store import Answer, Progress
from tests.lti.driver import course_frame, wait_for
from tests.lti.platform import Spec


def launched(browser, platform, user: str, **custom):
    """Launch the 02-test module; returns (context, frame handle, boot data)."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch(Spec(user=user, client_id="tool-1", resource_link="api",
                                       custom={"course": "basic", "module": "02-test",
                                               **custom})))
    course_frame(page)
    frame = next(f for f in page.frames if f.url.endswith("/lti/launch"))
    boot = json.loads(frame.locator("#lti-launch").text_content())
    return ctx, frame, boot


def post(tool, path: str, token: str | None, body) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(f"{tool.base}/api/{path}", json=body, headers=headers, timeout=10)


@pytest.fixture(scope="module")
def api_setup(lti_browser, shared_setup):
    platform, tool = shared_setup
    alice = launched(lti_browser, platform, "alice")
    bob = launched(lti_browser, platform, "bob")
    yield platform, tool, alice, bob
    alice[0].close()
    bob[0].close()


def course_of(tool) -> Course:
    return tool.tool.library.get("basic").course("modules/02-test/index.html")


def test_no_score_can_be_posted(api_setup):
    platform, tool, (_, _, alice), _ = api_setup
    before = len(platform.scores)
    assert post(tool, "grade", alice["token"], {"answers": [], "scoreGiven": 100}).status_code \
        == 400
    assert post(tool, "state", alice["token"], {"state": "{}", "score": 100}).status_code == 400
    assert post(tool, "score", alice["token"], {"scoreGiven": 100}).status_code in (404, 405)
    assert post(tool, "grade", None, {"answers": []}).status_code == 401
    assert post(tool, "grade", "forged-token", {"answers": []}).status_code == 401
    assert len(platform.scores) == before


def test_another_users_answers_are_refused(api_setup):
    platform, tool, (_, frame, alice), (_, _, bob) = api_setup
    modules = frame.evaluate("Packager.state().m")
    # The user comes from the launch: naming someone else in the body is refused outright.
    for extra in ({"userId": "alice"}, {"sub": "alice"}, {"user": "alice"}):
        resp = post(tool, "grade", bob["token"], {"answers": [], "modules": modules, **extra})
        assert resp.status_code == 400
    resp = post(tool, "grade", bob["token"],
                {"answers": [{"index": 0, "response": 1, "user": "alice"}], "modules": modules})
    assert resp.status_code == 400
    with tool.tool.sessions() as db:
        alice_progress = db.query(Progress).filter_by(sub="alice", resource_link_id="api").one()
        assert db.query(Answer).filter_by(progress_id=alice_progress.id).count() == 0


def some_response(q, variant: int = 0):
    """A well-formed (probably wrong) response of the question's type."""
    if q["type"] == "text":
        return f"nope {variant}"
    if q["type"] == "multiple":
        return [variant]
    return variant


def test_graded_answers_are_final_and_pools_hold(api_setup):
    platform, tool, (_, frame, alice), _ = api_setup
    course = course_of(tool)
    qs = course.questions
    modules = frame.evaluate("Packager.state().m")
    seed = int(modules[0].split(".")[0], 36)
    drawn = course.drawn(0, seed)
    left_out = [i for i, q in enumerate(qs) if q["graded"] and i not in drawn]
    assert len(drawn) == 3 and len(left_out) == 1  # pool: 3 of 4
    resp = post(tool, "grade", alice["token"], {"answers": [
        {"index": left_out[0], "response": some_response(qs[left_out[0]])}], "modules": modules})
    assert resp.status_code == 400 and "not part of the attempt" in resp.json()["error"]
    first, second = drawn[0], drawn[1]
    ok = post(tool, "grade", alice["token"], {"answers": [
        {"index": first, "response": some_response(qs[first])}], "modules": modules})
    assert ok.status_code == 200 and ok.json()["verdicts"][0]["index"] == first
    again = post(tool, "grade", alice["token"], {"answers": [
        {"index": first, "response": some_response(qs[first], 1)}], "modules": modules})
    assert again.status_code == 409
    # A retake before the attempt is finished, a changed seed, or past the limit: refused.
    answer = [{"index": second, "response": some_response(qs[second])}]
    retake = [f"{modules[0].split('.')[0]}.2"]
    assert post(tool, "grade", alice["token"], {"answers": answer, "modules": retake}
                ).status_code == 409
    assert post(tool, "grade", alice["token"], {"answers": answer, "modules": ["zz.1"]}
                ).status_code == 409
    assert post(tool, "grade", alice["token"], {"answers": answer, "modules": ["zz.4"]}
                ).status_code == 403
    # Malformed responses.
    for bad in (99, -1, "x" * 10_000, [0, 0], None, {"a": 1}):
        resp = post(tool, "grade", alice["token"],
                    {"answers": [{"index": second, "response": bad}], "modules": modules})
        assert resp.status_code == 400, bad


def test_state_is_bounded_and_time_is_capped(api_setup):
    _, tool, (_, frame, alice), _ = api_setup
    assert post(tool, "state", alice["token"], {"state": "x" * 70_000}).status_code == 400
    state = json.loads(frame.evaluate("JSON.stringify(Packager.state())"))
    state["t"] = 10 ** 7  # claims months in the course
    assert post(tool, "state", alice["token"], {"state": json.dumps(state),
                                                "location": "02-test-p1"}).status_code == 200
    with tool.tool.sessions() as db:
        row = db.query(Progress).filter_by(sub="alice", resource_link_id="api").one()
        assert read_state(course_of(tool), row.state).seconds == 10 ** 7
        assert row.seconds < 3600  # the server counts wall-clock time at most
    wait_for(lambda: True)
