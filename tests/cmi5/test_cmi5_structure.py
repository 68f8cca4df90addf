"""cmi5.xml: built from the model, checked against the course-structure rules, stable IRIs."""

from __future__ import annotations

import copy
import zipfile

import pytest
from lxml import etree

from packager import api
from packager.diagnostics import UsageError
from packager.loader import load_course
from packager.targets.base import BuildContext
from packager.targets.cmi5 import NS, Cmi5Target, structure_problems
from tests.conftest import ETHICS, ROOTS
from tests.coursekit import write_course

BASIC = ROOTS / "basic"
Q = f"{{{NS}}}"


def structure(course_dir, **options) -> etree._Element:
    course, diags = load_course(course_dir)
    assert course is not None, diags
    return Cmi5Target().course_structure(BuildContext(course=course, options=options))


def aus(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(f"{Q}au"))


def test_package_holds_cmi5_xml_and_the_course(tmp_path):
    (artifact,) = api.build(BASIC, ["cmi5"], tmp_path)
    assert artifact.path.name == "basic-1.0.0-cmi5.zip"
    with zipfile.ZipFile(artifact.path) as zf:
        names = set(zf.namelist())
        root = etree.fromstring(zf.read("cmi5.xml"))
        html = zf.read("index.html").decode()
    assert {"cmi5.xml", "index.html", "runtime/core.js", "runtime/cmi5.js",
            "assets/square.png"} <= names
    assert 'src="runtime/cmi5.js"' in html and '"courseIri"' in html
    assert structure_problems(root) == []
    (au,) = aus(root)
    assert au.findtext(f"{Q}url") == "index.html"


def test_single_au_takes_move_on_and_mastery_from_the_course():
    root = structure(BASIC)
    assert root.tag == f"{Q}courseStructure"
    course = root.find(f"{Q}course")
    assert course.get("id") == "https://packager.example/courses/basic"
    assert course.find(f"{Q}title/{Q}langstring").get("lang") == "en"
    (au,) = aus(root)
    assert au.attrib == {"id": "https://packager.example/courses/basic/au",
                         "moveOn": "CompletedAndPassed", "launchMethod": "AnyWindow",
                         "masteryScore": "0.8"}
    assert [o.get("idref") for o in au.iter(f"{Q}objective")] == [
        "https://packager.example/courses/basic/modules/01-lesson/objectives/1"]


def test_per_module_aus_launch_one_module_each():
    root = structure(BASIC, au="per-module")
    assert structure_problems(root) == []
    found = {a.get("id").rsplit("/", 1)[1]: a for a in aus(root)}
    assert list(found) == ["01-lesson", "02-test", "03-eval"]
    assert found["02-test"].get("moveOn") == "CompletedAndPassed"
    assert found["02-test"].get("masteryScore") == "0.8"
    for name in ("01-lesson", "03-eval"):  # nothing graded: nothing to pass, no mastery
        assert found[name].get("moveOn") == "Completed" and "masteryScore" not in found[name].attrib
    assert [a.findtext(f"{Q}url") for a in found.values()] == [
        f"index.html?sco={m}" for m in found]
    assert aus(root)[0].getparent().tag == f"{Q}block"


def test_move_on_without_a_passing_rule_and_without_graded_questions(tmp_path):
    lesson = "---\ntitle: L\n---\n\n# Page\n\nText.\n"
    ungraded = write_course(tmp_path / "a", {"01-l": lesson})
    (au,) = aus(structure(ungraded))
    assert au.get("moveOn") == "Completed" and au.get("masteryScore") is None
    test = ("---\ntitle: T\nkind: assessment\n---\n\n# Q\n\n```quiz\nid: q1\ntype: true-false\n"
            "prompt: Yes?\nanswer: true\n```\n")
    yaml = ("id: t\ntitle: T\nversion: 1.0.0\npassing_score: 75\ncompletion: [pages]\n"
            "modules: [01-t]\n")
    graded = write_course(tmp_path / "b", {"01-t": test}, yaml)
    (au,) = aus(structure(graded))
    assert au.get("moveOn") == "Completed" and au.get("masteryScore") == "0.75"


def test_iris_are_stable_across_versions_and_follow_the_base():
    course, _ = load_course(BASIC)
    one = Cmi5Target().course_structure(BuildContext(course=course))
    two = Cmi5Target().course_structure(BuildContext(course=course.with_version("2.0.0")))
    ids = [e.get("id") for e in one.iter() if e.get("id")]
    assert ids == [e.get("id") for e in two.iter() if e.get("id")]
    based = structure(BASIC, iri_base="https://lms.example.org/catalog")
    assert based.find(f"{Q}course").get("id") == "https://lms.example.org/catalog/basic"


@pytest.mark.parametrize("bad", ["not an iri", "relative/path/", "https://bad host/"])
def test_a_bad_iri_base_is_a_usage_error(tmp_path, bad):
    with pytest.raises(UsageError, match="iri-base"):
        api.build(BASIC, ["cmi5"], tmp_path, options={"iri_base": bad})
    assert not list(tmp_path.glob("*.zip"))


def test_an_unknown_au_layout_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="--au"):
        api.build(BASIC, ["cmi5"], tmp_path, options={"au": "per-page"})


def test_ethics_course_structure():
    root = structure(ETHICS)
    assert structure_problems(root) == []
    (au,) = aus(root)
    assert au.get("moveOn") == "CompletedAndPassed" and au.get("masteryScore") == "0.8"
    per_module = structure(ETHICS, au="per-module")
    assert structure_problems(per_module) == []
    assert len(aus(per_module)) == len(load_course(ETHICS)[0].modules)


def _planted(root: etree._Element, how) -> list[str]:
    broken = copy.deepcopy(root)
    how(broken)
    return structure_problems(broken)


@pytest.mark.parametrize("plant, expected", [
    (lambda r: aus(r)[0].set("moveOn", "Finished"), "moveOn='Finished'"),
    (lambda r: aus(r)[0].set("masteryScore", "80"), "masteryScore '80'"),
    (lambda r: aus(r)[0].set("launchMethod", "NewWindow"), "launchMethod"),
    (lambda r: aus(r)[0].set("id", "no-scheme"), "not an absolute IRI"),
    (lambda r: aus(r)[0].remove(aus(r)[0].find(f"{Q}url")), "needs a <url>"),
    (lambda r: aus(r)[0].remove(aus(r)[0].find(f"{Q}description")), "needs a <description>"),
    (lambda r: aus(r)[0].set("id", r.find(f"{Q}course").get("id")), "is used by a course"),
    (lambda r: next(aus(r)[0].iter(f"{Q}objective")).set("idref", "https://x.example/o"),
     "unknown objective"),
    (lambda r: r.insert(0, etree.Element(f"{Q}au", id="https://x.example/a")),
     "first child must be <course>"),
    (lambda r: [r.remove(a) for a in aus(r)], "at least one <au>"),
])
def test_structure_checks_catch_planted_mistakes(plant, expected):
    problems = _planted(structure(BASIC), plant)
    assert any(expected in p for p in problems), problems
