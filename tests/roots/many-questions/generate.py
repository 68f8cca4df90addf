"""Regenerate this fixture: 200 questions (single, multiple, true-false, text) in 5 modules.

Run ``python tests/roots/many-questions/generate.py``; the output is committed so tests
never depend on running it.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
LESSONS = 4
PER_LESSON = 25
FINAL = 100
PER_PAGE = 5
TYPES = ("single", "multiple", "true-false", "single", "multiple", "true-false", "single",
         "multiple", "true-false", "text")  # one text question in ten: 20 of 200


def question(qid: str, n: int) -> str:
    kind = TYPES[n % len(TYPES)]
    head = f"```quiz\nid: {qid}\ntype: {kind}\nprompt: Question {n + 1} ({kind})?\n"
    if kind == "single":
        body = ("choices:\n  - text: Wrong answer\n  - text: Right answer\n    correct: true\n"
                "  - text: Another wrong answer\n  - text: Yet another wrong answer\n")
    elif kind == "multiple":
        body = ("choices:\n  - text: Right one\n    correct: true\n  - text: Wrong one\n"
                "  - text: Right two\n    correct: true\n  - text: Wrong two\n")
    elif kind == "true-false":
        body = f"answer: {'true' if n % 2 else 'false'}\n"
    else:
        body = "answers: [ethics, professional ethics]\n"
    return head + body + "```\n"


def module(title: str, kind: str, prefix: str, count: int, start: int) -> str:
    out = [f"---\ntitle: {title}\nkind: {kind}\nminutes: 15\n---\n"]
    for i in range(count):
        if i % PER_PAGE == 0:
            out.append(f"\n# {title}, page {i // PER_PAGE + 1}\n\nSome text to read first.\n")
        out.append("\n" + question(f"{prefix}-{i + 1:03d}", start + i))
    return "".join(out)


def main() -> None:
    modules = HERE / "modules"
    modules.mkdir(exist_ok=True)
    names = []
    n = 0
    for k in range(1, LESSONS + 1):
        name = f"{k:02d}-lesson"
        names.append(name)
        (modules / f"{name}.md").write_text(
            module(f"Lesson {k}", "lesson", f"l{k}", PER_LESSON, n), encoding="utf-8")
        n += PER_LESSON
    names.append("05-final")
    (modules / "05-final.md").write_text(
        module("Final test", "assessment", "f", FINAL, n), encoding="utf-8")
    listed = "".join(f"  - {name}\n" for name in names)
    (HERE / "course.yaml").write_text(
        "id: many-questions\ntitle: Two Hundred Questions\nversion: 1.0.0\nlanguage: en\n"
        "description: A fixture with 200 questions to size SCORM 1.2 suspend data.\n"
        "ce:\n  hours: 2\n  provider: Test Provider\npassing_score: 70\n"
        f"completion: [pages, passed]\nmodules:\n{listed}", encoding="utf-8")


if __name__ == "__main__":
    main()
