"""SCORM 1.2 in headless Chromium against scorm-again's Scorm12API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from packager.state import SCORM12_SUSPEND_LIMIT, worst_case_length
from tests.conftest import ETHICS, ROOTS
from tests.runtime.lms import load, questions_by_id, walk
from tests.runtime.scorm_suite import BASIC, ScormBehaviour


class TestScorm12(ScormBehaviour):
    version = "1.2"
    location_element = "cmi.core.lesson_location"
    location_key = "core.lesson_location"
    entry_element = "cmi.core.entry"
    exit_element = "core.exit"

    def assert_passed(self, cmi: dict[str, Any]) -> None:
        core = cmi["core"]
        assert core["lesson_status"] == "passed"
        assert (core["score"]["raw"], core["score"]["min"], core["score"]["max"]) == \
            ("100", "0", "100")

    def assert_not_passed(self, cmi: dict[str, Any]) -> None:
        core = cmi["core"]
        assert core["lesson_status"] == "incomplete"  # passed/incomplete: learners can retake
        assert core["score"]["raw"] == "0"

    def assert_completed_unscored(self, cmi: dict[str, Any]) -> None:
        assert cmi["core"]["lesson_status"] == "completed"

    def assert_passed_not_completed(self, cmi: dict[str, Any]) -> None:
        assert cmi["core"]["lesson_status"] == "incomplete"
        assert cmi["core"]["score"]["raw"] == "100"


# Fill every shown question with its longest answer (every quote is escaped in the JSON), submit
# and go on: the real page handlers run, in one round trip for the whole course.
WORST_ANSWERS = """() => {
  const next = document.querySelector("button.nav-next");
  for (let guard = 0; guard < 1000; guard++) {
    const page = document.querySelector("section.page:not([hidden])");
    const open = Array.from(page.querySelectorAll("fieldset.question:not([hidden])"))
      .filter(fs => !fs.querySelector("input").disabled);
    for (const fs of open) {
      const text = fs.querySelector("input[type=text]");
      if (text) { text.value = '"'.repeat(+text.getAttribute("maxlength")); continue; }
      const boxes = Array.from(fs.querySelectorAll("input"));
      if (boxes[0].type === "checkbox") boxes.forEach(b => { b.checked = true; });
      else boxes[boxes.length - 1].checked = true;
    }
    if (open.length) page.querySelector("button.submit").click();
    if (next.disabled) return Packager.encodeState();
    next.click();
  }
  throw new Error("the course never ended");
}"""


def untimed(state: str) -> dict[str, Any]:
    data = json.loads(state)
    del data["t"]
    return data


@pytest.mark.parametrize("course", [pytest.param(ROOTS / "many-questions", id="200-questions"),
                                    pytest.param(ETHICS, id="ethics")])
def test_worst_case_suspend_data_fits(lms: Any, course: Path) -> None:
    """The longest state a learner can produce stays within the build-time bound and 4,096."""
    worst = worst_case_length(load(course))
    assert worst <= SCORM12_SUSPEND_LIMIT
    system = lms(course, "1.2")
    session = system.launch()
    state = session.frame.evaluate(WORST_ANSWERS)
    assert len(state) <= worst
    cmi = session.leave()
    assert len(cmi["suspend_data"]) <= worst
    for record in cmi["interactions"].values():  # CMIString255, however long the answer
        assert len(record["student_response"]) <= 255
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", record["id"])
    assert untimed(cmi["suspend_data"]) == untimed(state)  # a second may have passed
    session.finished_cleanly()
    print(f"{course.name}: browser worst case {len(state)}, build-time bound {worst}, "
          f"limit {SCORM12_SUSPEND_LIMIT}")

    again = system.resume(cmi)  # and it reads back: the same state, answers in place
    assert untimed(again.frame.evaluate("Packager.encodeState()")) == untimed(state)
    typed = again.ui.locator("input[type=text]").evaluate_all(
        "els => els.filter(e => e.value).map(e => e.value.length === +e.maxLength"
        " && /^\"+$/.test(e.value))")
    assert typed and all(typed)
    again.leave()
    again.finished_cleanly()


@pytest.mark.parametrize(("profile", "correct", "status"), [
    ("passed-failed", False, "failed"),
    ("passed-failed", True, "passed"),
    ("completed-incomplete", True, "completed"),
    ("completed-incomplete", False, "incomplete"),
    ("completed-failed", False, "failed"),
])
def test_reporting_profiles(lms: Any, profile: str, correct: bool, status: str) -> None:
    session = lms(BASIC, "1.2", profile=profile).launch()
    walk(session.ui, questions_by_id(BASIC), correct=correct)
    cmi = session.leave()
    assert cmi["core"]["lesson_status"] == status
    assert cmi["core"]["score"]["raw"] == ("100" if correct else "0")
    session.finished_cleanly()


def test_data_model_formats(lms: Any) -> None:
    """Interactions, times and identifiers within SCORM 1.2's types and lengths."""
    session = lms(BASIC, "1.2").launch()
    walk(session.ui, questions_by_id(BASIC), correct=True)
    cmi = session.leave()
    session.finished_cleanly()
    records = {r["id"]: r for r in cmi["interactions"].values()}
    expected = {  # id: (type, student_response, result)
        "kc-1": ("choice", "b", "correct"), "t-single": ("choice", "b", "correct"),
        "t-multiple": ("choice", "a,c", "correct"), "t-tf": ("true-false", "t", "correct"),
        "t-text": ("fill-in", "Tarasoff", "correct"), "ev-1": ("likert", "e", "neutral"),
        "ev-2": ("fill-in", "A thoughtful comment.", "neutral"),
    }
    assert len(records) == 6  # the pool draws 3 of the 4 post-test questions
    for qid, record in records.items():
        assert (record["type"], record["student_response"], record["result"]) == expected[qid]
        assert re.fullmatch(r"\d\d:\d\d:\d\d", record["time"])
        assert re.fullmatch(r"\d{2,4}:\d\d:\d\d(\.\d\d?)?", record["latency"])
        patterns = [c["pattern"] for c in record["correct_responses"].values()]
        assert patterns == ([record["student_response"]] if record["result"] == "correct" else [])
        assert record["weighting"] == ("1" if qid.startswith("t-") else "0")
    assert re.fullmatch(r"\d{2,4}:\d\d:\d\d(\.\d\d?)?", session.sets("cmi.core.session_time")[0])
    assert session.sets("cmi.core.exit") == [""]
    # score before status, then a commit
    log = [(e["call"], e["args"][0] if e["args"] else "") for e in session.log()]
    raw = log.index(("LMSSetValue", "cmi.core.score.raw"))
    passed = log.index(("LMSSetValue", "cmi.core.lesson_status"), raw)
    assert ("LMSCommit", "") in log[passed:]


def test_status_from_an_earlier_attempt_is_not_downgraded(lms: Any) -> None:
    """An LMS that kept 'passed' but not the saved state: starting over never reports
    'incomplete' (the import guide promises it)."""
    session = lms(BASIC, "1.2").launch(cmi={"core": {"lesson_status": "passed"}})
    session.ui.get_by_role("button", name="Next").click()
    cmi = session.leave()
    assert cmi["core"]["lesson_status"] == "passed"
    assert session.sets("cmi.core.lesson_status") == []
    session.finished_cleanly()
