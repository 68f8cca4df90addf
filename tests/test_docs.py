"""The author's guide: every quiz example validates, and the example course builds."""

from __future__ import annotations

import re
import zipfile

import pytest

from packager import api
from packager.loader import load_course
from packager.targets import target_names
from tests.conftest import ROOT
from tests.coursekit import write_course

GUIDE = ROOT / "docs" / "authoring.md"
EXAMPLE = ROOT / "docs" / "examples" / "first-course"
QUIZ = re.compile(r"^```quiz\n(.*?)^```$", re.S | re.M)


def guide_quizzes() -> list[str]:
    return QUIZ.findall(GUIDE.read_text(encoding="utf-8"))


def test_guide_has_an_example_of_every_question_type():
    types = {re.search(r"^type: (\S+)", q, re.M).group(1) for q in guide_quizzes()}
    assert types == {"single", "multiple", "true-false", "text", "likert"}


@pytest.mark.parametrize("block", guide_quizzes(), ids=lambda b: b.split("\n")[0])
def test_guide_quiz_examples_validate(tmp_path, block):
    kind = "evaluation" if "type: likert" in block else "assessment"
    module = f"---\ntitle: M\nkind: {kind}\n---\n\n# Page\n\n```quiz\n{block}```\n"
    course, diags = load_course(write_course(tmp_path, {"01-m": module}))
    assert diags == [] and course is not None
    (question,) = course.questions
    assert question.graded == (kind == "assessment")


def test_theming_example_is_the_one_the_example_course_uses():
    text = GUIDE.read_text(encoding="utf-8")
    snippet = re.search(r"```jinja\n(.*?)```", text, re.S).group(1)
    assert snippet == (EXAMPLE / "templates" / "course.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("target", target_names())
def test_example_course_builds_with_its_theme(tmp_path, target):
    course, diags = load_course(EXAMPLE)
    assert diags == []
    (artifact,) = api.build(EXAMPLE, [target], tmp_path)
    with zipfile.ZipFile(artifact.path) as zf:
        if "index.html" in zf.namelist():
            html = zf.read("index.html").decode()
            assert "--accent: #6b2c91" in html and "Northfield" in html
