"""SCORM 2004 4th edition in headless Chromium against scorm-again's Scorm2004API."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree

from tests.runtime.lms import questions_by_id, walk
from tests.runtime.scorm_suite import BASIC, ScormBehaviour


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


DURATION = r"PT(\d+H)?(\d+M)?\d+(\.\d\d?)?S"


def test_data_model_formats(lms: Any) -> None:
    """Interactions in the 2004 response formats; objectives per module; ISO 8601 times."""
    session = lms(BASIC, "2004").launch()
    walk(session.ui, questions_by_id(BASIC), correct=True)
    cmi = session.leave()
    session.finished_cleanly()
    records = {r["id"]: r for r in cmi["interactions"].values()}
    expected = {  # id: (type, learner_response, result)
        "kc-1": ("choice", "b", "correct"), "t-single": ("choice", "b", "correct"),
        "t-multiple": ("choice", "a[,]c", "correct"), "t-tf": ("true-false", "true", "correct"),
        "t-text": ("fill-in", "Tarasoff", "correct"), "ev-1": ("likert", "e", "neutral"),
        "ev-2": ("long-fill-in", "A thoughtful comment.", "neutral"),
    }
    assert len(records) == 6  # the pool draws 3 of the 4 post-test questions
    for urn, record in records.items():
        qid = urn.removeprefix("urn:packager:basic:")
        assert urn != qid
        assert (record["type"], record["learner_response"], record["result"]) == expected[qid]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d\d?)?Z", record["timestamp"])
        assert re.fullmatch(DURATION, record["latency"])
        assert record["description"]
        patterns = [c["pattern"] for c in record["correct_responses"].values()]
        assert patterns == ([record["learner_response"]] if record["result"] == "correct"
                            else [])
    objectives = {o["id"]: o for o in cmi["objectives"].values()}
    assert set(objectives) == {"01-lesson", "02-test", "03-eval"}
    test = objectives["02-test"]
    assert (test["success_status"], test["completion_status"], test["score"]["scaled"]) == \
        ("passed", "completed", "1")
    assert (objectives["01-lesson"]["success_status"],
            objectives["01-lesson"]["completion_status"]) == ("unknown", "completed")
    assert re.fullmatch(DURATION, session.sets("cmi.session_time")[0])
    assert session.sets("cmi.exit") == ["normal"]
    log = [(e["call"], e["args"][0] if e["args"] else "") for e in session.log()]
    scaled = log.index(("SetValue", "cmi.score.scaled"))
    status = log.index(("SetValue", "cmi.success_status"), scaled)
    assert ("Commit", "") in log[status:]


def test_retake_updates_interactions_in_place(lms: Any) -> None:
    """A retake rewrites the same interaction records: a long course never runs out of them."""
    session = lms(BASIC, "2004").launch()
    questions = questions_by_id(BASIC)
    walk(session.ui, questions, correct=False, skip_modules=("03-eval",))
    session.ui.get_by_role("button", name="Previous").click()
    session.ui.get_by_role("button", name="Retake the assessment").click()
    walk(session.ui, questions, correct=True)
    cmi = session.leave()
    session.finished_cleanly()
    ids = [r["id"] for r in cmi["interactions"].values()]
    assert len(ids) == len(set(ids))


def manifest_objectives(site: Path, module_id: str) -> list[str]:
    """The objective IDs the manifest gives one module's item (an LMS seeds cmi with them)."""
    tree = etree.parse(str(site / "pkg" / "imsmanifest.xml"))
    (item,) = tree.xpath("//*[local-name()='item'][@parameters=$p]", p=f"?sco={module_id}")
    return [el.get("objectiveID") for el in item.xpath(
        "./*[local-name()='sequencing']/*[local-name()='objectives']/*")]


def test_per_module_sco_reports_on_the_manifest_objectives(lms: Any, staged: Any) -> None:
    """Per-module layout: the post-test SCO writes its result on the primary objective the
    manifest declared (no duplicate entries), and reports nothing about other modules."""
    ids = manifest_objectives(staged(BASIC, "scorm2004", sco="per-module"), "02-test")
    assert ids[0] == "02-test"
    seeded = {"objectives": {str(i): {"id": oid} for i, oid in enumerate(ids)}}
    system = lms(BASIC, "2004", sco="per-module")
    session = system.launch(cmi=seeded, query="?sco=02-test")
    assert session.sets("cmi.progress_measure") == ["0.5"]  # page 1 of this SCO's 2
    walk(session.ui, questions_by_id(BASIC), correct=True)
    cmi = session.leave()
    session.finished_cleanly()
    objectives = [o["id"] for o in cmi["objectives"].values()]
    assert objectives == ids  # reused, none added: nothing about the lesson or evaluation
    primary = cmi["objectives"]["0"]
    assert (primary["success_status"], primary["completion_status"],
            primary["score"]["scaled"]) == ("passed", "completed", "1")
    assert (cmi["completion_status"], cmi["success_status"]) == ("completed", "passed")


def activity_tree(site: Path) -> dict[str, Any]:
    """The manifest's organization as scorm-again's activity tree (items, flow and choice)."""
    tree = etree.parse(str(site / "pkg" / "imsmanifest.xml"))

    def local(el: Any, name: str) -> list[Any]:
        return el.xpath(f"./*[local-name()='{name}']")

    def convert(el: Any) -> dict[str, Any]:
        node: dict[str, Any] = {"id": el.get("identifier"), "title": local(el, "title")[0].text}
        for seq in local(el, "sequencing"):
            for mode in local(seq, "controlMode"):
                node["sequencingControls"] = {k: v == "true" for k, v in mode.attrib.items()}
        children = [convert(item) for item in local(el, "item")]
        if children:
            node["children"] = children
        return node

    (org,) = tree.xpath("//*[local-name()='organization']")
    return convert(org)


def test_per_module_next_asks_the_lms_to_continue(lms: Any, staged: Any) -> None:
    """At the end of a module SCO, Next asks the LMS's sequencer for the next SCO
    (adl.nav.request=continue, then Terminate) and scorm-again delivers the post-test."""
    tree = activity_tree(staged(BASIC, "scorm2004", sco="per-module"))
    system = lms(BASIC, "2004", sco="per-module")
    session = system.launch(query="?sco=01-lesson", activity_tree=tree)
    assert session.page.evaluate("delivered") == ["MOD-01-lesson"]
    ui = session.ui
    walk(ui, questions_by_id(BASIC), correct=True)  # ends on the lesson's last page
    nxt = ui.get_by_role("button", name="Next")
    assert nxt.is_enabled()  # the sequencer says "continue" is valid
    nxt.click()
    session.page.wait_for_function("() => calls('Terminate').length === 1")
    assert session.sets("adl.nav.request") == ["continue"]
    assert session.page.evaluate("delivered") == ["MOD-01-lesson", "MOD-02-test"]
    assert "next part" in ui.locator(".notice").inner_text()
    session.finished_cleanly()
    assert session.sets("cmi.exit") == ["normal"]
    assert session.cmi()["completion_status"] == "completed"
