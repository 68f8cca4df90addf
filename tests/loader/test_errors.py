"""Each class of source error is reported once, at its exact file and line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from packager.loader import load_course
from tests.coursekit import write_course

LESSON = """\
---
title: Lesson
---

# Page one

Text.
"""


def report(root: Path) -> list[tuple[str, str, int, str]]:
    course, diags = load_course(root)
    assert (course is None) == any(d.level == "error" for d in diags)
    return [(d.level, os.path.relpath(d.loc.path, root), d.loc.line, d.message) for d in diags]


def only(root: Path, level: str = "error") -> tuple[str, int, str]:
    found = [(p, line, m) for lv, p, line, m in report(root) if lv == level]
    assert len(found) == 1, found
    return found[0]


def quiz_module(block: str, kind: str = "lesson", extra: str = "") -> str:
    return f"---\ntitle: M\nkind: {kind}\n{extra}---\n\n# Quiz page\n\n```quiz\n{block}```\n"


def test_clean_course_loads(tmp_path):
    root = write_course(tmp_path, {"01-a": LESSON})
    course, diags = load_course(root)
    assert diags == [] and course is not None
    assert course.modules[0].pages[0].title == "Page one"
    assert course.modules[0].pages[0].loc.line == 5


def test_yaml_syntax_error_in_course_yaml(tmp_path):
    root = write_course(tmp_path, {"01-a": LESSON},
                        "id: t\ntitle: T\nversion: 1.0.0\nmodules: [01-a\nlanguage: en\n")
    path, line, msg = only(root)
    assert path == "course.yaml" and line == 5 and "YAML syntax error" in msg


def test_yaml_syntax_error_in_front_matter(tmp_path):
    root = write_course(tmp_path, {"01-a": "---\ntitle: M\nkind: [lesson\n---\n\n# P\n\nx\n"})
    path, line, msg = only(root)
    assert path == "modules/01-a.md" and line in (3, 4) and "YAML syntax error" in msg


def test_yaml_syntax_error_in_quiz_block_names_markdown_line(tmp_path):
    block = "id: q1\ntype: single\nprompt: What: now\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    path, line, msg = only(root)
    # front matter is lines 1-4, blank 5, heading 6, blank 7, fence 8, id 9, type 10, prompt 11
    assert path == "modules/01-a.md" and line == 11 and "YAML syntax error" in msg


def test_unknown_key_with_nearest_hint(tmp_path):
    root = write_course(tmp_path, {"01-a": LESSON},
                        "id: t\ntitle: T\nversion: 1.0.0\npasing_score: 70\nmodules: [01-a]\n")
    course, diags = load_course(root)
    (d,) = diags
    assert d.loc.line == 4 and "unknown key 'pasing_score'" in d.message
    assert "passing_score" in d.hint


def test_unknown_key_in_question(tmp_path):
    block = "id: q1\ntype: true-false\nprompt: P\nanswer: true\nfeedbak: {correct: x}\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    path, line, msg = only(root)
    assert line == 13 and "unknown key 'feedbak'" in msg


@pytest.mark.parametrize("value,what", [("Bad_ID", "course id"), ("-x", "course id")])
def test_bad_id(tmp_path, value, what):
    root = write_course(tmp_path, {"01-a": LESSON},
                        f"id: '{value}'\ntitle: T\nversion: 1.0.0\nmodules: [01-a]\n")
    path, line, msg = only(root)
    assert line == 1 and what in msg


@pytest.mark.parametrize("value", ["1.0", "'1.2'", "v1.0.0", "01.2.3"])
def test_bad_version(tmp_path, value):
    root = write_course(tmp_path, {"01-a": LESSON},
                        f"id: t\ntitle: T\nversion: {value}\nmodules: [01-a]\n")
    path, line, msg = only(root)
    assert path == "course.yaml" and line == 3 and "version" in msg


def test_single_with_zero_correct(tmp_path):
    block = "id: q1\ntype: single\nprompt: P\nchoices:\n  - text: a\n  - text: b\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    path, line, msg = only(root)
    assert line == 13 and "exactly one correct choice (found 0)" in msg


def test_single_with_two_correct(tmp_path):
    block = ("id: q1\ntype: single\nprompt: P\nchoices:\n  - text: a\n    correct: true\n"
             "  - text: b\n    correct: true\n")
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    assert "found 2" in only(root)[2]


def test_multiple_with_none_correct(tmp_path):
    block = "id: q1\ntype: multiple\nprompt: P\nchoices: [a, b, c]\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    path, line, msg = only(root)
    assert line == 12 and "at least one correct" in msg


def test_true_false_without_answer(tmp_path):
    block = "id: q1\ntype: true-false\nprompt: P\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    path, line, msg = only(root)
    assert line == 9 and "answer" in msg


def test_duplicate_question_ids_across_modules(tmp_path):
    block = "id: same\ntype: true-false\nprompt: P\nanswer: false\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block), "02-b": quiz_module(block)})
    path, line, msg = only(root)
    assert path == "modules/02-b.md" and line == 8 and "duplicate question id 'same'" in msg


def test_unknown_type_lists_valid_types(tmp_path):
    block = "id: q1\ntype: singel\nprompt: P\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block)})
    course, diags = load_course(root)
    (d,) = diags
    assert d.loc.line == 10 and "unknown question type 'singel'" in d.message
    assert "single" in d.hint and "true-false" in d.hint


def test_missing_asset(tmp_path):
    text = "---\ntitle: M\n---\n\n# P\n\n![A chart](../assets/missing.png)\n"
    root = write_course(tmp_path, {"01-a": text})
    path, line, msg = only(root)
    assert path == "modules/01-a.md" and line == 7 and "missing file" in msg


def test_asset_path_leaving_course(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"x")
    text = "---\ntitle: M\n---\n\n# P\n\nSee ![X](../../secret.png)\n"
    root = write_course(tmp_path / "c", {"01-a": text})
    path, line, msg = only(root)
    assert line == 7 and "outside the course folder" in msg


def test_symlinked_asset_leaving_course(tmp_path):
    outside = tmp_path / "outside.png"
    outside.write_bytes(b"x")
    text = "---\ntitle: M\n---\n\n# P\n\n![X](../assets/l.png)\n"
    root = write_course(tmp_path / "c", {"01-a": text})
    (root / "assets").mkdir()
    (root / "assets" / "l.png").symlink_to(outside)
    errors = [r for r in report(root) if r[0] == "error"]
    assert any(line == 7 and "symlink" in m for _, _, line, m in errors)
    assert any(p == "assets/l.png" and "symlink" in m for _, p, _, m in errors)


def test_text_before_first_heading(tmp_path):
    root = write_course(tmp_path, {"01-a": "---\ntitle: M\n---\n\nIntro.\n\n# P\n\nx\n"})
    path, line, msg = only(root)
    assert line == 5 and "before the first level-1 heading" in msg


def test_module_listed_but_missing(tmp_path):
    root = write_course(tmp_path, {"01-a": LESSON},
                        "id: t\ntitle: T\nversion: 1.0.0\nmodules:\n  - 01-a\n  - 02-b\n")
    path, line, msg = only(root)
    assert path == "course.yaml" and line == 6 and "02-b" in msg


def test_module_file_not_listed_is_a_warning(tmp_path):
    root = write_course(tmp_path, {"01-a": LESSON, "02-extra": LESSON},
                        "id: t\ntitle: T\nversion: 1.0.0\nmodules: [01-a]\n")
    course, diags = load_course(root)
    assert course is not None
    (d,) = diags
    assert d.level == "warning" and d.loc.path.endswith("02-extra.md") and "not listed" in d.message


def test_pool_larger_than_questions(tmp_path):
    block = "id: q1\ntype: true-false\nprompt: P\nanswer: true\n"
    root = write_course(tmp_path, {"01-a": quiz_module(block, "assessment", "pool: 5\n")})
    path, line, msg = only(root)
    assert line == 4 and "pool of 5" in msg


def test_image_without_alt_text_is_a_warning(tmp_path):
    text = "---\ntitle: M\n---\n\n# P\n\n![](../assets/x.png)\n"
    root = write_course(tmp_path, {"01-a": text}, assets={"assets/x.png": b"png"})
    path, line, msg = only(root, "warning")
    assert line == 7 and "no alt text" in msg


def test_all_problems_reported_together(tmp_path):
    root = write_course(tmp_path, {
        "01-a": "---\ntitle: M\ncolour: red\n---\n\ntext first\n\n# P\n",
        "02-b": quiz_module("id: q\ntype: nope\nprompt: P\n"),
    }, "id: T!\ntitle: T\nversion: x\nmodules: [01-a, 02-b, 03-c]\n")
    errors = [r for r in report(root) if r[0] == "error"]
    assert len(errors) == 6
    assert [(p, line) for _, p, line, _ in errors] == sorted((p, line) for _, p, line, _ in errors)


def test_raw_html_is_sanitised(tmp_path):
    text = ("---\ntitle: M\n---\n\n# P\n\n<p onclick=\"x()\">Hi</p>\n\n"
            "<script>alert(1)</script>\n\n<iframe src=\"https://e.com\"></iframe>\n")
    root = write_course(tmp_path, {"01-a": text})
    course, diags = load_course(root)
    html = course.modules[0].pages[0].blocks[0].html
    assert "script" not in html and "onclick" not in html and "iframe" not in html
    assert "<p>Hi</p>" in html
    assert all(d.level == "warning" for d in diags) and len(diags) >= 2


def test_asset_references_are_rewritten_to_package_paths(tmp_path):
    text = "---\ntitle: M\n---\n\n# P\n\n![Logo](../assets/img/logo.png) [Guide](../assets/g.pdf)\n"
    root = write_course(tmp_path, {"01-a": text},
                        assets={"assets/img/logo.png": b"p", "assets/g.pdf": b"%PDF"})
    course, diags = load_course(root)
    assert diags == []
    html = course.modules[0].pages[0].blocks[0].html
    assert 'src="assets/img/logo.png"' in html and 'href="assets/g.pdf"' in html
    assert [a.path for a in course.assets] == ["assets/g.pdf", "assets/img/logo.png"]
