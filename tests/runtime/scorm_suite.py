"""One behaviour suite for both SCORM versions; test_scorm12/test_scorm2004 mix it in."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ETHICS, ROOTS
from tests.runtime.lms import (
    answer_page,
    current,
    dig,
    load,
    page_info,
    questions_by_id,
    walk,
    walk_fast,
)

BASIC = ROOTS / "basic"
COURSES = [pytest.param(BASIC, id="basic"), pytest.param(ETHICS, id="ethics")]
SNAPSHOT = """sec => ({
  id: sec.id,
  title: sec.querySelector("h1").textContent,
  questions: Array.from(sec.querySelectorAll("fieldset.question:not([hidden])")).map(fs => ({
    id: fs.id,
    order: Array.from(fs.querySelectorAll(".choice")).map(c => c.dataset.choice),
    checked: Array.from(fs.querySelectorAll("input:checked")).map(i => i.id),
    text: Array.from(fs.querySelectorAll("input[type=text]")).map(i => i.value),
    feedback: fs.querySelector(".q-feedback").textContent,
    disabled: Array.from(fs.querySelectorAll("input")).map(i => i.disabled),
  })),
})"""


def seat_time_course(tmp_path: Path) -> Path:
    """The basic course completed by viewing every page and one minute of active time."""
    course = tmp_path / "seat-time"
    shutil.copytree(BASIC, course)
    yaml = (course / "course.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace("completion: [pages, passed, evaluation]",
                        "min_minutes: 1\ncompletion: [pages, time]")
    (course / "course.yaml").write_text(yaml, encoding="utf-8")
    return course


class ScormBehaviour:
    """What every SCORM version must do; subclasses set ``version`` and read the outcome."""

    version: str
    location_element: str  # the API's name
    location_key: str  # its path in scorm-again's CMI JSON
    entry_element: str
    exit_element: str

    # -- per version: how the LMS sees the result ----------------------------------------

    def assert_passed(self, cmi: dict[str, Any]) -> None:
        raise NotImplementedError

    def assert_not_passed(self, cmi: dict[str, Any]) -> None:
        raise NotImplementedError

    def assert_completed_unscored(self, cmi: dict[str, Any]) -> None:
        raise NotImplementedError

    def assert_passed_not_completed(self, cmi: dict[str, Any]) -> None:
        raise NotImplementedError

    def interactions(self, cmi: dict[str, Any]) -> list[dict[str, Any]]:
        return [cmi["interactions"][k] for k in sorted(cmi["interactions"], key=int)]

    # -- the behaviour -------------------------------------------------------------------

    @pytest.mark.parametrize("course", COURSES)
    def test_all_correct_passes_with_100(self, lms: Any, course: Path) -> None:
        session = lms(course, self.version).launch()
        walk_fast(session.frame, questions_by_id(course), correct=True)
        notice = session.ui.locator(".notice")
        assert "You have completed this course. You passed." in notice.inner_text()
        cmi = session.leave()
        self.assert_passed(cmi)
        assert dig(cmi, self.exit_element) in ("", "normal")  # finished: not suspended
        results = {i["result"] for i in self.interactions(cmi)}
        assert results <= {"correct", "neutral"}
        session.finished_cleanly()

    @pytest.mark.parametrize("course", COURSES)
    def test_all_wrong_does_not_pass(self, lms: Any, course: Path) -> None:
        session = lms(course, self.version).launch()
        walk_fast(session.frame, questions_by_id(course), correct=False)
        cmi = session.leave()
        self.assert_not_passed(cmi)
        assert dig(cmi, self.exit_element) == "suspend"
        for record in self.interactions(cmi):
            assert record["result"] in ("wrong", "incorrect", "neutral")
            # the right response is known only when the learner gives it: never leaked
            assert not record["correct_responses"], record
        session.finished_cleanly()

    def test_retake_after_failing(self, lms: Any) -> None:
        session = lms(BASIC, self.version).launch()
        questions = questions_by_id(BASIC)
        walk(session.ui, questions, correct=False, skip_modules=("03-eval",))
        ui = session.ui
        ui.locator("button.nav-prev").click()  # back to the post-test's last page
        page = current(ui)
        assert "did not pass yet" in page.locator(".page-status").inner_text()
        page.get_by_role("button", name="Retake the assessment").click()
        assert current(ui).locator("h1").inner_text() == "Post-test part 1"
        state = session.frame.evaluate("Packager.state()")
        assert state["m"][1].endswith(".2")  # second attempt, a new draw
        walk(ui, questions, correct=True)
        cmi = session.leave()
        self.assert_passed(cmi)
        session.finished_cleanly()

    @pytest.mark.parametrize("course", COURSES)
    def test_leave_midway_and_resume(self, lms: Any, course: Path) -> None:
        system = lms(course, self.version)
        questions = questions_by_id(course)
        assessment = next(m for m in load(course).modules if m.kind == "assessment")
        first = system.launch()
        ui = first.ui
        # answer the way there (knowledge checks), then the assessment's first page
        assert walk_fast(first.frame, questions, until_module=assessment.id) > 0
        assert page_info(ui)["id"].startswith(f"page-{assessment.id}-")
        assert answer_page(ui, questions, correct=True)
        left = current(ui).evaluate(SNAPSHOT)
        saved_state = first.frame.evaluate("Packager.state()")
        cmi = first.leave()
        assert dig(cmi, self.exit_element) == "suspend"
        assert dig(cmi, self.location_key) == left["id"].removeprefix("page-")
        first.finished_cleanly()

        second = system.resume(cmi)
        ui = second.ui
        # the same page, the same draw and choice order, its answers and feedback, locked
        assert current(ui).evaluate(SNAPSHOT) == left
        assert all(all(q["disabled"]) for q in left["questions"])
        resumed = second.frame.evaluate("Packager.state()")
        assert resumed["m"] == saved_state["m"]  # the same pool draw and attempt
        assert resumed["a"] == saved_state["a"]
        assert resumed["t"] >= saved_state["t"]
        entry = [e["result"] for e in second.log() if e["args"][:1] == [self.entry_element]]
        assert entry == ["resume"]
        walk_fast(second.frame, questions, correct=True)
        self.assert_passed(second.leave())
        second.finished_cleanly()

    def test_seat_time_rule(self, lms: Any, tmp_path: Path) -> None:
        system = lms(seat_time_course(tmp_path), self.version)
        first = system.launch(clock=True)
        ui = first.ui
        while not ui.locator("button.nav-next").is_disabled():
            ui.locator("button.nav-next").click()
        counter = ui.locator(".seat-time")
        first.page.clock.run_for(2000)
        assert counter.is_visible()
        assert counter.inner_text() == "Time in course: 0 of 1 minutes"
        first.page.clock.run_for(30_000)
        assert not first.frame.evaluate("Packager.rules()")["completed"]
        cmi = first.leave()  # every page seen, half the time: not complete yet
        assert dig(cmi, self.exit_element) == "suspend"
        assert json.loads(cmi["suspend_data"])["t"] >= 30
        first.finished_cleanly()

        second = system.resume(cmi, clock=True)  # the time spent is restored
        counter = second.ui.locator(".seat-time")
        assert second.frame.evaluate("Packager.state()")["t"] >= 30
        second.page.clock.run_for(31_000)
        assert counter.inner_text() == "Time in course: 1 of 1 minutes"
        assert second.frame.evaluate("Packager.rules()")["completed"]
        cmi = second.leave()
        self.assert_completed_unscored(cmi)
        assert json.loads(cmi["suspend_data"])["t"] >= 60
        second.finished_cleanly()

    def test_commits_when_hidden(self, lms: Any) -> None:
        session = lms(BASIC, self.version).launch()
        session.page.wait_for_timeout(1100)  # a second of active time not yet saved
        before = len(session.log())
        session.frame.evaluate("""() => {
            Object.defineProperty(document, "visibilityState",
                                  {value: "hidden", configurable: true});
            document.dispatchEvent(new Event("visibilitychange"));
        }""")
        calls = [e["call"] for e in session.log()[before:]]
        assert calls[-1] in ("LMSCommit", "Commit")
        assert json.loads(session.cmi()["suspend_data"])["t"] >= 1
        session.assert_clean()

    def test_learner_name_from_the_lms(self, lms: Any) -> None:
        key = {"1.2": "student_name", "2004": "learner_name"}[self.version]
        seeded = {"core": {key: "Doe, Jane"}} if self.version == "1.2" else {key: "Doe, Jane"}
        session = lms(BASIC, self.version).launch(cmi=seeded)
        assert session.frame.evaluate("Packager.learnerName") == "Doe, Jane"
        session.assert_clean()

    def test_evaluation_rule(self, lms: Any) -> None:
        session = lms(BASIC, self.version).launch()
        questions = questions_by_id(BASIC)
        walk(session.ui, questions, correct=True, skip_modules=("03-eval",))
        rules = session.frame.evaluate("Packager.rules()")
        assert rules["passed"] is True and not rules["completed"]
        session.page.wait_for_function("() => lmsLog.length > 0")
        self.assert_passed_not_completed(session.cmi())
        assert answer_page(session.ui, questions, correct=True)
        self.assert_passed(session.leave())
        session.finished_cleanly()

    def test_api_found_through_the_opener(self, lms: Any) -> None:
        """Launched in a new window, the SCO finds the API in its opener."""
        session = lms(BASIC, self.version).launch(popup=True)
        assert not session.ui.locator(".notice").is_visible()  # connected: no standalone notice
        walk(session.ui, questions_by_id(BASIC), correct=True)
        cmi = session.leave()  # closing the window ends the session
        self.assert_passed(cmi)
        session.finished_cleanly()

    def test_exit_button_finishes_once(self, lms: Any) -> None:
        session = lms(BASIC, self.version).launch()
        ui = session.ui
        ui.get_by_role("button", name="Next").click()
        ui.get_by_role("button", name="Exit").click()
        assert "progress has been saved" in ui.locator(".notice").inner_text()
        assert ui.get_by_role("button", name="Next").is_disabled()
        cmi = session.leave()  # unloading afterwards must not call the API again
        assert dig(cmi, self.exit_element) == "suspend"
        session.finished_cleanly()

    def test_lms_errors_do_not_break_the_page(self, lms: Any) -> None:
        session = lms(BASIC, self.version).launch()
        # The LMS now rejects every bookmark: a real data-type error from scorm-again.
        session.page.evaluate("el => { window.corrupt = {[el]: 'x'.repeat(5000)}; }",
                              self.location_element)
        warnings: list[str] = []
        session.page.on("console",
                        lambda m: warnings.append(m.text) if m.type == "warning" else None)
        ui = session.ui
        ui.get_by_role("button", name="Next").click()
        assert current(ui).locator("h1").inner_text() == "Knowledge check"
        walk(ui, questions_by_id(BASIC), correct=True)
        cmi = session.leave()
        self.assert_passed(cmi)
        errors = session.api_errors()
        assert errors and {e["args"][0] for e in errors} == {self.location_element}
        assert any("packager: LMS" in w and self.location_element in w for w in warnings)
        assert session.console == []

    def test_standalone_without_lms(self, browser: Any, serve_dir: Any, staged: Any,
                                    page_errors: Any) -> None:
        from tests.runtime.conftest import TARGETS
        folder = staged(BASIC, TARGETS[self.version])
        page = browser.new_page()
        errors = page_errors(page)
        page.goto(serve_dir(folder) + "pkg/index.html")
        page.wait_for_function("() => window.Packager && Packager.ready")
        notice = page.locator(".notice")
        assert notice.is_visible()
        assert "No LMS connection" in notice.inner_text()
        page.get_by_role("button", name="Next").click()
        assert page.locator("section.page:not([hidden]) h1").inner_text() == "Knowledge check"
        assert errors == []
        page.close()

    def test_per_module_scos(self, lms: Any) -> None:
        system = lms(BASIC, self.version, sco="per-module")
        questions = questions_by_id(BASIC)
        test = system.launch(query="?sco=02-test")
        ui = test.ui
        assert ui.locator(".page-count").inner_text() == "Page 1 of 2"
        assert current(ui).locator("h1").inner_text() == "Post-test part 1"
        walk(ui, questions, correct=True)
        assert ui.locator(".page-count").inner_text() == "Page 2 of 2"
        cmi = test.leave()
        self.assert_passed(cmi)
        test.finished_cleanly()

        lesson = system.launch(query="?sco=01-lesson")
        ui = lesson.ui
        assert ui.locator(".page-count").inner_text() == "Page 1 of 2"
        walk(ui, questions, correct=True)
        cmi = lesson.leave()
        self.assert_completed_unscored(cmi)
        lesson.finished_cleanly()
