"""Writes small course folders for tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

COURSE_YAML = """\
id: t
title: T
version: 1.0.0
modules: [{modules}]
"""


def write_course(root: Path, modules: dict[str, str], course_yaml: str | None = None,
                 assets: dict[str, bytes] | None = None) -> Path:
    """Create ``root`` with course.yaml, modules/*.md and assets; returns root."""
    (root / "modules").mkdir(parents=True, exist_ok=True)
    if course_yaml is None:
        course_yaml = COURSE_YAML.format(modules=", ".join(modules))
    (root / "course.yaml").write_text(textwrap.dedent(course_yaml), encoding="utf-8")
    for name, text in modules.items():
        (root / "modules" / f"{name}.md").write_text(textwrap.dedent(text), encoding="utf-8")
    for rel, data in (assets or {}).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def picks(question, correct: bool) -> tuple[int, ...]:
    """The options a test learner picks: all correct ones, or one wrong (likert: the last)."""
    if question.type == "likert":
        return (len(question.scale) - 1,)
    if correct:
        return question.correct_indexes
    wrong = (i for i in range(len(question.choice_labels)) if i not in question.correct_indexes)
    return tuple(wrong)[:1]
