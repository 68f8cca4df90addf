"""SCORM 1.2 and 2004 manifests: schema-valid, stable, complete, and shaped as LMSs expect."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from packager import api
from packager.cli import cli
from packager.diagnostics import CourseError, UsageError
from packager.loader import load_course
from packager.scorm import schema
from packager.scorm.check import check_package
from packager.state import SCORM12_SUSPEND_LIMIT, worst_case_length
from tests.conftest import ETHICS, ROOTS, SCHEMAS
from tests.coursekit import write_course

EDITION = {"scorm12": "1.2", "scorm2004": "2004 4th Edition"}
IMSSS = "http://www.imsglobal.org/xsd/imsss"
ADLCP12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
NCNAME = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*$")
VARIANTS = [(t, sco, mastery) for t in EDITION for sco in ("single", "per-module")
            for mastery in (False, True)]


def _build(course: Path, target: str, out: Path, **options: object) -> Path:
    (artifact,) = api.build(course, [target], out, options=options)
    return artifact.path


def _manifest(package: Path) -> etree._Element:
    with zipfile.ZipFile(package) as zf:
        return etree.fromstring(zf.read("imsmanifest.xml"))


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, bool], Path]:
    """The basic course in every target, layout and mastery setting."""
    out = tmp_path_factory.mktemp("scorm")
    return {(t, sco, m): _build(ROOTS / "basic", t, out / f"{sco}-{m}", sco=sco, mastery=m)
            for t, sco, m in VARIANTS}


def _cp(root: etree._Element, path: str) -> list[etree._Element]:
    return root.xpath(path, namespaces={"cp": root.nsmap[None], "imsss": IMSSS,
                                        "adlcp": root.nsmap["adlcp"]})


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v)))
def test_manifest_is_valid_against_the_official_schemas(packages, variant) -> None:
    root = _manifest(packages[variant])
    assert schema.validate(root, SCHEMAS, EDITION[variant[0]]) == []


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v)))
def test_packager_check_is_clean(packages, variant) -> None:
    report = check_package(packages[variant], SCHEMAS)
    assert report.findings == [] and report.schema_checked
    assert report.version == EDITION[variant[0]]


@pytest.mark.parametrize("target", EDITION)
def test_schema_validation_catches_a_planted_fault(packages, target) -> None:
    root = _manifest(packages[(target, "single", False)])
    _cp(root, "//cp:item")[0].set("identifier", "1-starts-with-a-digit")
    problems = schema.validate(root, SCHEMAS, EDITION[target])
    assert problems and "xs:ID" in problems[0].message


@pytest.mark.parametrize("target", EDITION)
def test_schemaversion_prefixes_and_no_xml_base(packages, target) -> None:
    root = _manifest(packages[(target, "per-module", True)])
    version = _cp(root, "cp:metadata/cp:schemaversion")[0].text
    assert version == {"scorm12": "1.2", "scorm2004": "2004 4th Edition"}[target]
    assert _cp(root, "cp:metadata/cp:schema")[0].text == "ADL SCORM"
    expected = {"adlcp"} if target == "scorm12" else {"adlcp", "imsss", "adlseq", "adlnav"}
    for prefix in expected:
        assert root.nsmap[prefix].startswith("http://www.")
    # Moodle's importer matches these prefixed names literally
    with zipfile.ZipFile(packages[(target, "per-module", True)]) as zf:
        raw = zf.read("imsmanifest.xml").decode("utf-8")
    literal = (["adlcp:scormtype=", "<adlcp:masteryscore>"] if target == "scorm12" else
               ["adlcp:scormType=", "<imsss:sequencing>", "adlseq:objectivesGlobalToSystem=",
                "<imsss:deliveryControls "])
    for needle in literal:
        assert needle in raw, needle
    assert "xml:base" not in etree.tostring(root, encoding="unicode")


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v)))
def test_identifiers_and_the_launching_resource_first(packages, variant) -> None:
    root = _manifest(packages[variant])
    ids = [el.get("identifier") for el in root.iter() if el.get("identifier")]
    assert len(ids) == len(set(ids))
    assert all(NCNAME.match(i) for i in ids), ids
    assert root.get("identifier").startswith("MANIFEST-basic-1.0.0")
    first_item = _cp(root, "//cp:item[@identifierref]")[0]
    first_res = _cp(root, "cp:resources/cp:resource")[0]
    assert first_res.get("identifier") == first_item.get("identifierref")
    assert first_res.get("href") == "index.html"
    org = _cp(root, "cp:organizations")[0]
    assert org.get("default") == _cp(root, "cp:organizations/cp:organization")[0].get(
        "identifier")


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: "-".join(map(str, v)))
def test_every_file_is_listed(packages, variant) -> None:
    root = _manifest(packages[variant])
    listed = {f.get("href") for f in _cp(root, "//cp:file")}
    with zipfile.ZipFile(packages[variant]) as zf:
        names = set(zf.namelist()) - {"imsmanifest.xml"}
    assert listed == names
    assert {"index.html", "runtime/core.js", f"runtime/{variant[0]}.js",
            "assets/square.png"} <= names


@pytest.mark.parametrize("target", EDITION)
def test_course_metadata(packages, target) -> None:
    text = etree.tostring(_manifest(packages[(target, "single", False)]), encoding="unicode")
    for needle in ("Basic Test Course", "A small course using every question type.",
                   "1.0.0", ">en<", "1 CE hour(s)", "Test Provider", "Test approval 123"):
        assert needle in text, needle
    assert ("PT10M" if target == "scorm2004" else "00:10:00") in text


def test_identifiers_are_stable_and_rebuilds_byte_identical(tmp_path: Path) -> None:
    for target in EDITION:
        a = _build(ROOTS / "basic", target, tmp_path / "a", sco="per-module")
        b = _build(ROOTS / "basic", target, tmp_path / "b", sco="per-module")
        assert a.read_bytes() == b.read_bytes()
        ids = [el.get("identifier") for el in _manifest(a).iter() if el.get("identifier")]
        assert ids == [el.get("identifier") for el in _manifest(b).iter()
                       if el.get("identifier")]
    new = _build(ROOTS / "basic", "scorm12", tmp_path / "c")
    old = _build(ROOTS / "basic", "scorm12", tmp_path / "d")
    assert _manifest(new).get("identifier") == _manifest(old).get("identifier")
    (bumped,) = api.build(ROOTS / "basic", ["scorm12"], tmp_path / "e", version="1.1.0")
    assert _manifest(bumped.path).get("identifier") == "MANIFEST-basic-1.1.0-scorm12"


def test_mastery_only_on_request(packages) -> None:
    for sco in ("single", "per-module"):
        plain = _manifest(packages[("scorm12", sco, False)])
        mastered = _manifest(packages[("scorm12", sco, True)])
        assert _cp(plain, "//adlcp:masteryscore") == []
        assert [m.text for m in _cp(mastered, "//adlcp:masteryscore")] == ["80"]
        plain = _manifest(packages[("scorm2004", sco, False)])
        mastered = _manifest(packages[("scorm2004", sco, True)])
        assert _cp(plain, "//imsss:minNormalizedMeasure") == []
        assert _cp(plain, "//imsss:primaryObjective[@satisfiedByMeasure]") == []
        assert [m.text for m in _cp(mastered, "//imsss:minNormalizedMeasure")] == ["0.8"]
        assert _cp(mastered, "//imsss:minNormalizedMeasure/..")[0].get(
            "satisfiedByMeasure") == "true"


@pytest.mark.parametrize("sco", ["single", "per-module"])
def test_2004_content_sets_completion_and_objectives(packages, sco) -> None:
    root = _manifest(packages[("scorm2004", sco, False)])
    leaves = _cp(root, "//cp:item[@identifierref]")
    assert len(leaves) == (1 if sco == "single" else 3)
    (mode,) = _cp(root, "//cp:organization/imsss:sequencing/imsss:controlMode")
    assert mode.get("flow") == "true"  # a Start request can deliver the first SCO
    for item in leaves:
        (controls,) = _cp(item, "imsss:sequencing/imsss:deliveryControls")
        assert controls.get("completionSetByContent") == "true"
        assert controls.get("objectiveSetByContent") == "true"


@pytest.mark.parametrize("target", EDITION)
def test_per_module_launch_parameters(packages, target) -> None:
    root = _manifest(packages[(target, "per-module", False)])
    leaves = _cp(root, "//cp:item[@identifierref]")
    assert [i.get("parameters") for i in leaves] == ["?sco=01-lesson", "?sco=02-test",
                                                     "?sco=03-eval"]
    resources = {r.get("identifier"): r for r in _cp(root, "//cp:resource")}
    for item in leaves:
        assert resources[item.get("identifierref")].get("href") == "index.html"


def test_12_per_module_prerequisites(packages) -> None:
    root = _manifest(packages[("scorm12", "per-module", False)])
    lesson, test, evaluation = _cp(root, "//cp:item[@identifierref]")
    assert _cp(lesson, "adlcp:prerequisites") == []
    (pre,) = _cp(test, "adlcp:prerequisites")
    assert pre.get("type") == "aicc_script" and pre.text == lesson.get("identifier")
    (pre,) = _cp(evaluation, "adlcp:prerequisites")
    assert pre.text == test.get("identifier")
    single = _manifest(packages[("scorm12", "single", False)])
    assert _cp(single, "//adlcp:prerequisites") == []


def test_2004_per_module_sequencing(packages) -> None:
    root = _manifest(packages[("scorm2004", "per-module", False)])
    org = _cp(root, "//cp:organization")[0]
    assert org.get("{http://www.adlnet.org/xsd/adlseq_v1p3}objectivesGlobalToSystem") == "false"
    (mode,) = _cp(org, "imsss:sequencing/imsss:controlMode")
    assert mode.get("flow") == "true"
    # lessons: one cluster, satisfied when every lesson is completed, written to a global
    (cluster,) = _cp(org, "cp:item[not(@identifierref)]")
    assert [i.get("parameters") for i in _cp(cluster, "cp:item")] == ["?sco=01-lesson"]
    (rule,) = _cp(cluster, "imsss:sequencing/imsss:rollupRules/imsss:rollupRule")
    assert rule.get("childActivitySet") == "all"
    assert _cp(rule, "imsss:rollupConditions/imsss:rollupCondition")[0].get(
        "condition") == "completed"
    assert _cp(rule, "imsss:rollupAction")[0].get("action") == "satisfied"
    (write,) = _cp(cluster, "imsss:sequencing/imsss:objectives//imsss:mapInfo")
    lessons_global = write.get("targetObjectiveID")
    assert write.get("writeSatisfiedStatus") == "true"
    # the post-test is disabled and hidden until that global is satisfied
    test_item, eval_item = _cp(org, "cp:item[@identifierref]")
    actions = [a.get("action") for a in _cp(
        test_item, "imsss:sequencing/imsss:sequencingRules/imsss:preConditionRule/"
                   "imsss:ruleAction")]
    assert sorted(actions) == ["disabled", "hiddenFromChoice"]
    (gate,) = _cp(test_item, "imsss:sequencing/imsss:objectives/imsss:objective/imsss:mapInfo")
    assert gate.get("targetObjectiveID") == lessons_global
    assert gate.get("readSatisfiedStatus") == "true"
    # the evaluation follows a passed post-test, and never decides the course's success
    (passed,) = _cp(test_item, "imsss:sequencing/imsss:objectives/imsss:primaryObjective/"
                               "imsss:mapInfo")
    (eval_gate,) = _cp(eval_item, "imsss:sequencing/imsss:objectives/imsss:objective/"
                                  "imsss:mapInfo")
    assert eval_gate.get("targetObjectiveID") == passed.get("targetObjectiveID")
    (eval_rollup,) = _cp(eval_item, "imsss:sequencing/imsss:rollupRules")
    assert eval_rollup.get("rollupObjectiveSatisfied") == "false"
    assert eval_rollup.get("rollupProgressCompletion") == "true"  # completion has evaluation


LESSON = "---\ntitle: L\n---\n# Page\n\nText.\n"
SURVEY = ("---\ntitle: Survey\nkind: evaluation\n---\n# How was it?\n\n```quiz\nid: s1\n"
          "type: likert\nprompt: Useful?\nscale: [Poor, Fair, Good]\n```\n")


PRETEST = ("---\ntitle: Pre\nkind: assessment\n---\n# Pre-test\n\n```quiz\nid: p1\n"
           "type: true-false\nprompt: Ready?\nanswer: true\n```\n")


@pytest.mark.parametrize(("modules", "gates"), [
    ({"01-l": LESSON, "02-survey": SURVEY}, {"02-survey": "lessons"}),
    ({"01-survey": SURVEY}, {}),
    ({"01-pre": PRETEST, "02-l": LESSON, "03-survey": SURVEY}, {"03-survey": "passed"}),
], ids=["lesson-and-survey", "survey-only", "pre-test"])
def test_2004_per_module_without_a_test(tmp_path: Path, modules: dict, gates: dict) -> None:
    course = write_course(tmp_path / "c", modules)
    package = _build(course, "scorm2004", tmp_path / "out", sco="per-module")
    assert check_package(package, SCHEMAS).findings == []
    root = _manifest(package)
    found = {}
    for item in _cp(root, "//cp:item[@identifierref]"):
        maps = _cp(item, "imsss:sequencing/imsss:objectives/imsss:objective/imsss:mapInfo")
        rules = _cp(item, "imsss:sequencing/imsss:sequencingRules")
        assert bool(maps) == bool(rules)
        if maps:
            found[item.get("parameters")[5:]] = maps[0].get("targetObjectiveID").rsplit(":")[-1]
    assert found == gates


def _runtime_config(package: Path) -> dict:
    with zipfile.ZipFile(package) as zf:
        html = zf.read("index.html").decode("utf-8")
    found = re.search(r'<script type="application/json" id="runtime-config">(.*?)</script>',
                      html, re.S)
    assert found
    return json.loads(found.group(1))


def test_runtime_config_carries_target_layout_and_profile(tmp_path: Path) -> None:
    package = _build(ROOTS / "basic", "scorm12", tmp_path, sco="per-module",
                     profile="completed-failed")
    config = _runtime_config(package)
    assert config["target"] == "scorm12" and config["sco"] == "per-module"
    assert config["profile"] == "completed-failed"
    default = _runtime_config(_build(ROOTS / "basic", "scorm12", tmp_path / "d"))
    assert default["profile"] == "passed-incomplete" and default["sco"] == "single"


def test_cli_options_reach_the_packages(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, [
        "build", str(ROOTS / "basic"), "-t", "scorm12", "-t", "scorm2004", "--sco",
        "per-module", "--profile", "completed-failed", "--mastery", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    s12, s2004 = tmp_path / "basic-1.0.0-scorm12.zip", tmp_path / "basic-1.0.0-scorm2004.zip"
    assert _runtime_config(s12)["profile"] == "completed-failed"
    assert _runtime_config(s2004)["sco"] == "per-module"
    assert _cp(_manifest(s12), "//adlcp:masteryscore")
    assert _cp(_manifest(s2004), "//imsss:minNormalizedMeasure")
    assert len(_cp(_manifest(s2004), "//cp:item[@parameters]")) == 3
    result = CliRunner().invoke(cli, ["check", str(s12), str(s2004), "--schemas", str(SCHEMAS)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("options", [{"sco": "per-lesson"}, {"profile": "passed"}])
def test_bad_options_are_usage_errors(tmp_path: Path, options: dict) -> None:
    with pytest.raises(UsageError):
        api.build(ROOTS / "basic", ["scorm12"], tmp_path, options=options)


def test_200_questions_fit_scorm12_suspend_data(tmp_path: Path) -> None:
    course, _ = load_course(ROOTS / "many-questions")
    assert course is not None and len(course.questions) == 200
    assert {q.type for q in course.questions} == {"single", "multiple", "true-false", "text"}
    worst = worst_case_length(course)
    print(f"many-questions worst-case suspend_data: {worst} characters")
    assert worst <= SCORM12_SUSPEND_LIMIT
    package = _build(ROOTS / "many-questions", "scorm12", tmp_path)
    assert check_package(package, SCHEMAS).findings == []


def test_scorm12_refuses_a_course_whose_state_cannot_fit(tmp_path: Path) -> None:
    quizzes = "".join(f"\n```quiz\nid: q{i}\ntype: text\nprompt: Say why ({i}).\n```\n"
                      for i in range(8))
    course = write_course(tmp_path / "c", {"01-long": f"---\ntitle: Long\n---\n# Page\n{quizzes}"})
    with pytest.raises(CourseError) as info:
        api.build(course, ["scorm12"], tmp_path / "out")
    (diag,) = [d for d in info.value.diagnostics if d.level == "error"]
    assert diag.loc.path.endswith("course.yaml")
    assert "4,096" in diag.message and "cmi.suspend_data" in diag.message
    assert "free-text" in (diag.hint or "")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    # the same course is fine in 2004, whose suspend_data is 64,000 characters
    assert _build(course, "scorm2004", tmp_path / "out2004").is_file()


@pytest.mark.parametrize("target", EDITION)
def test_ethics_course_builds_valid_packages(tmp_path: Path, target: str) -> None:
    for sco in ("single", "per-module"):
        package = _build(ETHICS, target, tmp_path / sco, sco=sco)
        report = check_package(package, SCHEMAS)
        assert report.errors == [] and report.schema_checked, report.lines()
