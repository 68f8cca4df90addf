"""SCORM 2004 4th edition in headless Chromium against scorm-again's Scorm2004API."""

from __future__ import annotations

from typing import Any

from tests.runtime.scorm_suite import ScormBehaviour


class TestScorm2004(ScormBehaviour):
    version = "2004"
    location_element = "cmi.location"
    location_key = "location"
    entry_element = "cmi.entry"
    exit_element = "exit"

    def assert_passed(self, cmi: dict[str, Any]) -> None:
        assert (cmi["completion_status"], cmi["success_status"]) == ("completed", "passed")
        score = cmi["score"]
        assert (score["scaled"], score["raw"], score["min"], score["max"]) == \
            ("1", "100", "0", "100")
        assert cmi["progress_measure"] == "1"

    def assert_not_passed(self, cmi: dict[str, Any]) -> None:
        assert (cmi["completion_status"], cmi["success_status"]) == ("incomplete", "failed")
        assert (cmi["score"]["scaled"], cmi["score"]["raw"]) == ("0", "0")

    def assert_completed_unscored(self, cmi: dict[str, Any]) -> None:
        assert (cmi["completion_status"], cmi["success_status"]) == ("completed", "unknown")

    def assert_passed_not_completed(self, cmi: dict[str, Any]) -> None:
        assert (cmi["completion_status"], cmi["success_status"]) == ("incomplete", "passed")
