"""QTI 2.1 export: items and test from the model, structural checks, third-party round trips."""

from __future__ import annotations

import copy
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from onyx2moodle.classifier import classify
from onyx2moodle.parser import parse_item
from onyx2moodle.translate import multichoice, shortanswer
from qti_convert import downgrade_package_files, upgrade_package_files

from packager import api
from packager.cli import cli
from packager.loader import load_course
from packager.model import Course, Question
from packager.qti.check import package_problems
from packager.targets.qti import QTI, assessment_href, choice_id, item_href
from tests.conftest import ETHICS, ROOTS
from tests.coursekit import write_course

BASIC = ROOTS / "basic"
Q = f"{{{QTI}}}"
QTI3 = "{http://www.imsglobal.org/xsd/imsqtiasi_v3p0}"


def package(course_dir: Path, tmp_path: Path) -> dict[str, bytes]:
    (artifact,) = api.build(course_dir, ["qti"], tmp_path)
    assert artifact.path.name.endswith("-qti.zip")
    with zipfile.ZipFile(artifact.path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def course_of(course_dir: Path) -> Course:
    course, diags = load_course(course_dir)
    assert course is not None, diags
    return course


def expected_response(q: Question) -> list[str]:
    """The correct response the model implies, in QTI terms."""
    if q.type == "text":
        return [q.answers[0]]
    return [choice_id(i) for i in q.correct_indexes]


def correct_values(item: etree._Element, ns: str, decl: str, correct: str, value: str
                   ) -> list[str]:
    return [v.text for v in item.iterfind(f"{ns}{decl}/{ns}{correct}/{ns}{value}")]


def test_basic_package_lists_every_graded_question(tmp_path):
    files = package(BASIC, tmp_path)
    assert package_problems(files) == []
    course = course_of(BASIC)
    graded = course.graded_questions
    assert sorted(files) == sorted(["imsmanifest.xml", assessment_href(course)]
                                   + [item_href(q) for q in graded])
    for q in graded:
        item = etree.fromstring(files[item_href(q)])
        assert item.get("identifier") == q.id
        assert correct_values(item, Q, "responseDeclaration", "correctResponse", "value") == \
            expected_response(q)
    multiple = etree.fromstring(files["items/t-multiple.xml"])
    assert multiple.find(f".//{Q}choiceInteraction").get("maxChoices") == "0"
    assert multiple.find(f"{Q}responseDeclaration").get("cardinality") == "multiple"
    text = etree.fromstring(files["items/t-text.xml"])
    entries = text.findall(f".//{Q}mapEntry")
    assert [e.get("mapKey") for e in entries] == ["Tarasoff", "Tarasoff v. Regents"]
    assert {e.get("caseSensitive") for e in entries} == {"false"}
    tf = etree.fromstring(files["items/t-tf.xml"])
    assert [c.text for c in tf.iter(f"{Q}simpleChoice")] == ["True", "False"]
    assert tf.find(f".//{Q}choiceInteraction").get("shuffle") == "false"


def test_the_assessment_test_honours_the_pool(tmp_path):
    files = package(BASIC, tmp_path)
    test = etree.fromstring(files[assessment_href(course_of(BASIC))])
    (section,) = test.iter(f"{Q}assessmentSection")
    assert section.find(f"{Q}selection").get("select") == "3"
    refs = [r.get("identifier") for r in section.iter(f"{Q}assessmentItemRef")]
    assert refs == ["t-single", "t-multiple", "t-tf", "t-text"]
    assert test.find(f".//{Q}baseValue").text == "0.8"  # the passing score


def test_ethics_post_test_is_complete_and_correct(tmp_path):
    files = package(ETHICS, tmp_path)
    assert package_problems(files) == []
    course = course_of(ETHICS)
    post = next(m for m in course.modules if m.kind == "assessment")
    assert post.graded_questions
    test = etree.fromstring(files[assessment_href(course)])
    section = next(s for s in test.iter(f"{Q}assessmentSection")
                   if s.get("title") == post.title)
    refs = [r.get("identifier") for r in section.iter(f"{Q}assessmentItemRef")]
    assert refs == [q.id for q in post.graded_questions]
    if post.pool:
        assert section.find(f"{Q}selection").get("select") == str(post.pool)
    for q in post.graded_questions:
        item = etree.fromstring(files[item_href(q)])
        assert correct_values(item, Q, "responseDeclaration", "correctResponse", "value") == \
            expected_response(q), q.id
        labels = [("".join(c.itertext())).strip() for c in item.iter(f"{Q}simpleChoice")]
        if q.type != "text":
            assert labels == [label.strip() for label in q.choice_labels], q.id


@pytest.mark.parametrize("course_dir", [BASIC, ETHICS], ids=["basic", "ethics"])
def test_round_trip_through_qti3_and_back(tmp_path, course_dir):
    """citolab-qti-convert reads the package, writes QTI 3.0, and back to QTI 2.1."""
    files = package(course_dir, tmp_path)
    qti3 = upgrade_package_files(files).files
    back = downgrade_package_files(qti3, inject_shared_vocabulary_stylesheet=False)
    assert back.warnings == []
    round_tripped = {k: v.encode() if isinstance(v, str) else v for k, v in back.files.items()}
    assert package_problems(round_tripped) == []
    for q in course_of(course_dir).graded_questions:
        three = etree.fromstring(_bytes(qti3[item_href(q)]))
        assert correct_values(three, QTI3, "qti-response-declaration", "qti-correct-response",
                              "qti-value") == expected_response(q), q.id
        two = etree.fromstring(round_tripped[item_href(q)])
        assert correct_values(two, Q, "responseDeclaration", "correctResponse", "value") == \
            expected_response(q), q.id


def _bytes(content: str | bytes) -> bytes:
    return content.encode() if isinstance(content, str) else content


@pytest.mark.parametrize("course_dir", [BASIC, ETHICS], ids=["basic", "ethics"])
def test_moodle_reader_imports_every_item_with_its_answers(tmp_path, course_dir):
    """onyx2moodle reads each QTI 2.1 item and writes the Moodle XML question Moodle imports."""
    files = package(course_dir, tmp_path)
    for q in course_of(course_dir).graded_questions:
        path = tmp_path / item_href(q)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[item_href(q)])
        item = parse_item(path)
        target = classify(item).target
        translate = {"multichoice": multichoice.translate,
                     "shortanswer": shortanswer.translate}[target]
        question = etree.fromstring(translate(item, assets=[], category_path=["packager"]))
        assert question.get("type") == ("shortanswer" if q.type == "text" else "multichoice")
        answers = {"".join(a.findtext("text") or "").strip(): float(a.get("fraction"))
                   for a in question.iter("answer")}
        if q.type == "text":
            assert set(answers) == set(q.answers) and set(answers.values()) == {100.0}
            assert question.findtext("usecase") == "0"  # case-insensitive, as in the course
        else:
            right = {q.choice_labels[i].strip() for i in q.correct_indexes}
            assert {label for label, f in answers.items() if f > 0} == right, q.id
            assert question.findtext("single") == ("false" if q.type == "multiple" else "true")
        stem = "".join(etree.fromstring(files[item_href(q)]).find(f".//{Q}p").itertext())
        assert stem.strip() and stem.strip()[:20] in "".join(
            question.find("questiontext").itertext()), q.id


def _plant(files: dict[str, bytes], name: str, how) -> list[str]:
    broken = dict(files)
    root = etree.fromstring(files[name])
    copy_root = copy.deepcopy(root)
    how(copy_root)
    broken[name] = etree.tostring(copy_root)
    return package_problems(broken)


@pytest.mark.parametrize("name, plant, expected", [
    ("items/t-single.xml", lambda r: r.find(f".//{Q}correctResponse/{Q}value")
     .__setattr__("text", "C9"), "are no choice"),
    ("items/t-single.xml", lambda r: r.find(f".//{Q}choiceInteraction").set("maxChoices", "0"),
     "cardinality does not match"),
    ("items/t-text.xml", lambda r: r.find(f".//{Q}textEntryInteraction")
     .set("responseIdentifier", "R2"), "undeclared response"),
    ("items/t-tf.xml", lambda r: r.find(f"{Q}responseProcessing").set("template", "x"),
     "standard QTI 2.1 template"),
    ("items/t-tf.xml", lambda r: r.append(r.find(f"{Q}responseDeclaration")),
     "out of the QTI 2.1 order"),
    ("tests/basic.xml", lambda r: r.find(f".//{Q}selection").set("select", "9"),
     "selects 9 of 4"),
    ("tests/basic.xml", lambda r: r.find(f".//{Q}assessmentItemRef").set("href", "../x.xml"),
     "resolves to no file"),
    ("imsmanifest.xml", lambda r: r.find(".//{*}dependency").set("identifierref", "NOPE"),
     "depends on unknown NOPE"),
])
def test_checks_catch_planted_mistakes(tmp_path, name, plant, expected):
    problems = _plant(package(BASIC, tmp_path), name, plant)
    assert any(expected in p for p in problems), problems


def test_a_missing_file_and_bad_xml_are_reported(tmp_path):
    files = package(BASIC, tmp_path)
    del files["items/t-tf.xml"]
    files["items/t-text.xml"] = b"<assessmentItem"
    problems = package_problems(files)
    assert any("missing items/t-tf.xml" in p for p in problems)
    assert any("not well-formed" in p for p in problems)


def test_a_course_without_graded_questions_warns_and_exports_nothing(tmp_path):
    root = write_course(tmp_path / "c", {"01-l": "---\ntitle: L\n---\n\n# P\n\nText.\n"})
    (artifact,) = api.build(root, ["qti"], tmp_path / "out")
    assert any("no graded questions" in w.message for w in artifact.warnings)
    with zipfile.ZipFile(artifact.path) as zf:
        assert zf.namelist() == ["imsmanifest.xml"]


def test_cli_builds_the_qti_package(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(BASIC), "--target", "qti",
                                      "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "basic-1.0.0-qti.zip").is_file()
