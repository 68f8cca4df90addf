"""Server-side grading: responses against the answer key, pools, attempts and completion.

Mirrors runtime/core.js (draws, scoring and the completion rules) so the server and the
browser agree, while only the server holds the key.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_STATE = 65536


class GradingError(ValueError):
    """A request the server refuses (bad response, closed attempt, question not drawn)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _i32(x: int) -> int:
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def _imul(a: int, b: int) -> int:
    return _i32((a & 0xFFFFFFFF) * (b & 0xFFFFFFFF))


def mulberry32(seed: int) -> Callable[[], float]:
    """The runtime's PRNG, bit for bit."""
    state = _i32(seed)

    def rand() -> float:
        nonlocal state
        state = _i32(state + 0x6D2B79F5)
        t = _imul(state ^ ((state & 0xFFFFFFFF) >> 15), 1 | state)
        t = _i32(_i32(t + _imul(t ^ ((t & 0xFFFFFFFF) >> 7), 61 | t)) ^ t)
        return ((t ^ ((t & 0xFFFFFFFF) >> 14)) & 0xFFFFFFFF) / 4294967296

    return rand


def shuffled(items: list[int], rand: Callable[[], float]) -> list[int]:
    out = list(items)
    for i in range(len(out) - 1, 0, -1):
        j = math.floor(rand() * (i + 1))
        out[i], out[j] = out[j], out[i]
    return out


def normalize_text(text: str) -> str:
    """Mirrors answerkey.normalize_text (and normText in core.js)."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text).strip().lower())


@dataclass
class Course:
    """One course document's data (from course.json) with the server-side key."""

    data: dict[str, Any]
    key: dict[str, dict[str, Any]]

    @property
    def questions(self) -> list[dict[str, Any]]:
        return self.data["questions"]

    @property
    def modules(self) -> list[dict[str, Any]]:
        return self.data["modules"]

    def pooled(self, mi: int) -> bool:
        """Modules whose attempts the runtime seeds (assessments): pools and retakes apply."""
        return self.modules[mi]["kind"] == "assessment"

    def drawn(self, mi: int, seed: int | None) -> list[int]:
        """Question indexes of module ``mi`` in play for an attempt seeded ``seed``."""
        qs = [i for i, q in enumerate(self.questions) if q["module"] == mi]
        pool = self.modules[mi].get("pool")
        if not pool or seed is None or not self.pooled(mi):
            return qs
        graded = [i for i in qs if self.questions[i]["graded"]]
        other = [i for i in qs if not self.questions[i]["graded"]]
        return sorted(other + shuffled(graded, mulberry32(seed))[:pool])

    def clean_response(self, qi: int, response: Any) -> Any:
        """Check a response's shape against the question; returns it in stored form."""
        if not isinstance(qi, int) or not 0 <= qi < len(self.questions):
            raise GradingError("no such question")
        q = self.questions[qi]
        if q["type"] == "text":
            if not isinstance(response, str) or len(response) > max(q["max"], 1):
                raise GradingError("a text response must be a string within the length limit")
            return response
        n = len(q["labels"])
        if q["type"] == "multiple":
            if (not isinstance(response, list) or not response
                    or len(set(response)) != len(response)
                    or not all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c < n
                               for c in response)):
                raise GradingError("a multiple-choice response is a list of option indexes")
            return sorted(response)
        if isinstance(response, bool) or not isinstance(response, int) or not 0 <= response < n:
            raise GradingError("a choice response is one option index")
        return response

    def canonical(self, qi: int, response: Any) -> str:
        kind = self.questions[qi]["type"]
        if kind == "text":
            return normalize_text(response)
        if kind == "multiple":
            return ",".join(str(c) for c in response)
        return str(response)

    def is_correct(self, qi: int, response: Any) -> bool | None:
        """True/False against the key; None when the question has no right answer."""
        entry = self.key.get(self.questions[qi]["id"], {})
        if response in (None, "") or not entry.get("correct"):
            return None
        return self.canonical(qi, response) in entry["correct"]


@dataclass
class ClientState:
    """What the server reads from the runtime's saved state (the same compact JSON)."""

    seen: list[int]
    submitted: list[int]
    seconds: float
    modules: list[tuple[int, int] | None]  # (seed, attempt) per module


def decode_bits(text: str, n: int) -> list[int]:
    """Mirrors decodeBits in core.js."""
    abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    bits = []
    for i in range(n):
        ch = text[i // 6] if i // 6 < len(text) else ""
        v = abc.find(ch) if ch else -1
        bits.append(1 if v > 0 and (v >> (i % 6)) & 1 else 0)
    return bits


def parse_module_entry(raw: Any) -> tuple[int, int] | None:
    if not isinstance(raw, str) or "." not in raw:
        return None
    seed, _, att = raw.partition(".")
    try:
        return int(seed, 36), int(att)
    except ValueError:
        return None


def read_state(course: Course, text: str | None) -> ClientState:
    """Decode the runtime's saved state; anything malformed reads as a fresh start."""
    pages = len(course.data["pages"])
    empty = ClientState([0] * pages, [0] * pages, 0.0, [None] * len(course.modules))
    if not text:
        return empty
    try:
        obj = json.loads(text)
    except ValueError:
        return empty
    if not isinstance(obj, dict) or obj.get("v") != 1:
        return empty
    mods = obj.get("m") if isinstance(obj.get("m"), list) else []
    return ClientState(
        seen=decode_bits(str(obj.get("s", "")), pages),
        submitted=decode_bits(str(obj.get("e", "")), pages),
        seconds=max(0.0, float(obj.get("t") or 0)) if isinstance(obj.get("t"), int | float) else 0,
        modules=[parse_module_entry(mods[i]) if i < len(mods) else None
                 for i in range(len(course.modules))],
    )


@dataclass
class Outcome:
    """Score and completion as the server computes them."""

    earned: float
    possible: float
    graded: int
    answered: int
    passed: bool | None
    completed: bool
    met: dict[str, bool]

    @property
    def percent(self) -> float:
        return 100 * self.earned / self.possible if self.possible else 0.0

    @property
    def all_answered(self) -> bool:
        return self.graded > 0 and self.answered == self.graded


def outcome(course: Course, answers: dict[int, Any], seeds: dict[int, int],
            state: ClientState, seconds: float) -> Outcome:
    """The completion rules of course.yaml over the server's own answers.

    ``answers``: question index -> response of the current attempt; ``seeds``: module -> seed
    of its current attempt; ``seconds``: time in the course, already capped by the server.
    """
    active: set[int] = set()
    for mi in range(len(course.modules)):
        active.update(course.drawn(mi, seeds.get(mi)))
    earned = possible = 0.0
    graded = answered = 0
    for qi in sorted(active):
        q = course.questions[qi]
        if not q["graded"]:
            continue
        graded += 1
        possible += q["points"]
        if qi in answers:
            answered += 1
            if course.is_correct(qi, answers[qi]):
                earned += q["points"]
    passing = float(course.data["passingScore"])
    pct = 100 * earned / possible if possible else 0.0
    passed = (pct >= passing if answered == graded else None) if graded else None
    pages_with_q = {q["page"] for q in course.questions}
    # A page holding only questions left out of the pool is skipped by the runtime.
    skipped = {p for p in pages_with_q
               if all(i not in active for i, q in enumerate(course.questions) if q["page"] == p)}
    pages_ok = all(state.seen[i] or i in skipped for i in range(len(course.data["pages"])))
    eval_ok = all(qi in answers for qi, q in enumerate(course.questions)
                  if course.modules[q["module"]]["kind"] == "evaluation")
    met = {"pages": pages_ok, "passed": passed is True, "evaluation": eval_ok,
           "time": seconds >= float(course.data.get("minMinutes") or 0) * 60}
    completed = all(met.get(rule, False) for rule in course.data["completion"])
    return Outcome(earned, possible, graded, answered, passed, completed, met)
