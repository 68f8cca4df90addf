"""The tool launched, graded and scored by a platform built on a library we did not write.

``lti1p3platform`` (PyPI) signs the launch, serves the platform's keys, issues the AGS token
after checking the tool's signed assertion, and checks that token on every score post.
"""

from __future__ import annotations

import json

import pytest

from tests.lti.driver import boot, course_frame, questions, wait_for, walk
from tests.lti.libplatform import LibPlatform


@pytest.fixture
def lib_setup(start_tool):
    tool = start_tool()
    platform = LibPlatform().start(tool.base)
    tool.registrations.write_text(json.dumps(platform.registration_entry()))
    yield platform, tool
    platform.stop()


def test_launch_quiz_and_score_through_lti1p3platform(lti_browser, lib_setup):
    platform, _ = lib_setup
    ctx = lti_browser.new_context()
    page = ctx.new_page()
    page.goto(platform.new_launch("carol", "basic"))
    frame = course_frame(page)  # OIDC login, the library's signed launch, the course
    data = boot(frame)
    assert data["learnerName"] == "Lib carol"
    answered = walk(frame, questions(), correct=True)
    assert answered
    final = wait_for(lambda: next((s for s in platform.scores
                                   if s["activityProgress"] == "Completed"), None))
    assert final["scoreGiven"] == 100 and final["scoreMaximum"] == 100
    assert final["gradingProgress"] == "FullyGraded" and final["userId"] == "carol"
    assert final["lineitem"] == "launch-1"
    assert frame.locator(".notice").text_content().startswith("You have completed")
    assert platform.errors == []
    ctx.close()

