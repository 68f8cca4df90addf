"""The answer key as salted hashes: the runtime can check an answer but not read the key."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from packager.model import Course, Question

GRADED_TEXT_MIN = 60
GRADED_TEXT_MAX = 250
FREE_TEXT_LIMIT = 400  # characters a learner may type in a free-text answer


def course_salt(course: Course) -> str:
    """Stable per course and version, so rebuilds are byte-identical."""
    return hashlib.sha256(f"packager|{course.id}|{course.version}".encode()).hexdigest()[:16]


def normalize_text(text: str) -> str:
    """How text answers are compared: trimmed, case-folded, inner spaces collapsed.

    Mirrors ``normText`` in runtime/core.js.
    """
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).strip().lower())


def digest(salt: str, qid: str, canonical: str) -> str:
    """Mirrors ``keyOf`` in runtime/core.js."""
    return hashlib.sha256(f"{salt}|{qid}|{canonical}".encode()).hexdigest()[:16]


def canonical_responses(question: Question) -> list[str]:
    """Every response that counts as correct, in the runtime's canonical form."""
    if question.type in ("single", "true-false"):
        return [str(i) for i in question.correct_indexes]
    if question.type == "multiple":
        return [",".join(str(i) for i in question.correct_indexes)]
    if question.type == "text":
        return sorted({normalize_text(a) for a in question.answers})
    return []


def key_for(salt: str, question: Question) -> list[str]:
    return sorted(digest(salt, question.id, c) for c in canonical_responses(question))


def text_limit(question: Question) -> int:
    """Maximum characters accepted in a text box (bounds SCORM suspend data)."""
    if question.is_free_text:
        return FREE_TEXT_LIMIT
    longest = max((len(a) for a in question.answers), default=0)
    return min(GRADED_TEXT_MAX, max(GRADED_TEXT_MIN, longest + 20))
