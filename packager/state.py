"""The runtime's saved-state format, sized at build time (SCORM 1.2 allows 4,096 characters)."""

from __future__ import annotations

import json

from packager.answerkey import text_limit
from packager.model import Course, Question

SCORM12_SUSPEND_LIMIT = 4096
MAX_SECONDS = 99_999_999  # the runtime caps stored active time here
MAX_ATTEMPT_DIGITS = 3
SEED_CHARS = 6  # seeds are < 36**6, written in base 36


def _bitset_chars(count: int) -> int:
    return (count + 5) // 6


def _worst_answer(question: Question) -> object:
    if question.type == "text":
        return '"' * text_limit(question)  # every quote is escaped: the longest JSON form
    if question.type == "multiple":
        return _base36((1 << len(question.choices)) - 1)
    return "z"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if not n:
            return out


def worst_case_state(course: Course) -> str:
    """The longest state string the runtime can produce for this course.

    Mirrors ``encodeState`` in runtime/core.js, field for field.
    """
    pages = len(course.pages)
    state = {
        "v": 1,
        "p": max(pages - 1, 0),
        "s": "A" * _bitset_chars(pages),
        "e": "A" * _bitset_chars(pages),
        "t": MAX_SECONDS,
        "a": [_worst_answer(q) for q in course.questions],
        "m": [("z" * SEED_CHARS + "." + "9" * MAX_ATTEMPT_DIGITS)
              if m.kind == "assessment" else 0 for m in course.modules],
        "c": 1,
        "n": '"' * 100,
        "d": "2026-12-31",
    }
    return json.dumps(state, separators=(",", ":"), ensure_ascii=False)


def worst_case_length(course: Course) -> int:
    return len(worst_case_state(course))
