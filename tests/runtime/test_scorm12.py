"""SCORM 1.2 in headless Chromium against scorm-again's Scorm12API."""

from __future__ import annotations

from typing import Any

from tests.runtime.scorm_suite import ScormBehaviour


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
