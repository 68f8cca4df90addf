"""The lti bundle and the Common Cartridge: contents, no key in the browser's files."""

from __future__ import annotations

import json
import zipfile

import pytest
from lxml import etree

from packager import api
from packager.answerkey import canonical_responses
from packager.lti.bundles import Library
from packager.lti.grading import Course, mulberry32, shuffled
from packager.targets.cc import BLTI, CC, LTICC, LTICM, RESOURCE_TYPE
from tests.conftest import ETHICS, ROOTS
from tests.lti.driver import questions


def test_lti_bundle_contents(tmp_path):
    (artifact,) = api.build(ROOTS / "basic", ["lti"], tmp_path)
    assert artifact.path.name == "basic-1.0.0-lti.zip"
    with zipfile.ZipFile(artifact.path) as zf:
        names = set(zf.namelist())
        assert {"index.html", "course.json", "answerkey.json", "runtime/lti.js",
                "runtime/core.js", "assets/square.png", "modules/02-test/index.html"} <= names
        key = json.loads(zf.read("answerkey.json"))
        meta = json.loads(zf.read("course.json"))
        pages = {n: zf.read(n).decode() for n in names if n.endswith((".html", ".js"))}
    qs = questions()
    assert key["t-text"]["correct"] == canonical_responses(qs["t-text"])
    assert key["t-multiple"]["correct"] == ["0,2"]
    assert [m["id"] for m in meta["modules"]] == ["01-lesson", "02-test", "03-eval"]
    for name, text in pages.items():
        assert "tarasoff" not in text.lower(), name  # no accepted answer reaches a browser
    for doc, data in meta["documents"].items():
        assert all(q["key"] == [] for q in data["questions"]), doc
        assert data["salt"] == ""
    module = meta["documents"]["modules/01-lesson/index.html"]
    assert module["completion"] == ["pages"]  # a lesson alone completes by its pages
    assert "secret" not in json.dumps(meta).lower()


def test_library_picks_newest_version(tmp_path):
    api.build(ROOTS / "basic", ["lti"], tmp_path)
    api.build(ROOTS / "basic", ["lti"], tmp_path, version="1.2.0")
    library = Library(tmp_path)
    assert [b.version for b in library.all()] == ["1.2.0"]
    assert library.get("basic", "1.0.0").version == "1.0.0"
    bundle = library.get("basic")
    assert bundle.read("answerkey.json") is None and bundle.read("course.json") is None
    assert bundle.read("../etc/passwd") is None
    assert bundle.read("runtime/lti.js")


def test_server_grading_matches_the_key(tmp_path):
    api.build(ROOTS / "basic", ["lti"], tmp_path)
    course: Course = Library(tmp_path).get("basic").course("index.html")
    index = {q["id"]: i for i, q in enumerate(course.questions)}
    assert course.is_correct(index["t-text"], "  TARASOFF  ") is True
    assert course.is_correct(index["t-text"], "Smith") is False
    assert course.is_correct(index["t-multiple"], [0, 2]) is True
    assert course.is_correct(index["t-multiple"], [0]) is False
    assert course.is_correct(index["ev-1"], 4) is None


def test_pool_draw_matches_the_runtime():
    """mulberry32 + shuffle in Python give the same numbers as core.js (values from node)."""
    rand = mulberry32(12345)
    first = [rand() for _ in range(3)]
    assert first == pytest.approx([0.9797282677609473, 0.3067522644996643, 0.484205421525985])
    assert shuffled([1, 2, 3, 4, 5], mulberry32(99)) == [1, 3, 5, 4, 2]


def test_common_cartridge(tmp_path):
    (artifact,) = api.build(ROOTS / "basic", ["cc"], tmp_path,
                            options={"lti_url": "https://tool.example.org/"})
    with zipfile.ZipFile(artifact.path) as zf:
        manifest = etree.fromstring(zf.read("imsmanifest.xml"))
        ns = {"cc": CC, "l": LTICC, "blti": BLTI, "lticm": LTICM}
        assert manifest.findtext("cc:metadata/cc:schemaversion", namespaces=ns) == "1.3.0"
        items = manifest.findall("cc:organizations/cc:organization/cc:item/cc:item", ns)
        assert [i.findtext("cc:title", namespaces=ns) for i in items] == [
            "Lesson", "Test", "Evaluation"]
        resources = manifest.findall("cc:resources/cc:resource", ns)
        assert {r.get("type") for r in resources} == {RESOURCE_TYPE}
        for item, res in zip(items, resources, strict=True):
            assert item.get("identifierref") == res.get("identifier")
            link = etree.fromstring(zf.read(res.find("cc:file", ns).get("href")))
            assert link.tag == f"{{{LTICC}}}cartridge_basiclti_link"
            assert link.findtext("blti:launch_url", namespaces=ns) == \
                "https://tool.example.org/lti/launch"
            custom = {p.get("name"): p.text for p in link.findall("blti:custom/lticm:property", ns)}
            assert custom["course"] == "basic" and custom["module"]
    # Without a URL it still builds (for --target all) and says where the links point.
    (dev,) = api.build(ROOTS / "basic", ["cc"], tmp_path / "dev")
    assert any("development server" in w.message for w in dev.warnings)


def test_ethics_course_builds_for_lti(tmp_path):
    (artifact,) = api.build(ETHICS, ["lti"], tmp_path)
    course = Library(tmp_path).get(artifact.course_id).course("index.html")
    assert course.questions and all(q["key"] == [] for q in course.questions)
