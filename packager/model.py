"""The immutable course model every target reads; built once by the loader."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from packager.diagnostics import Location

QUESTION_TYPES = ("single", "multiple", "true-false", "text", "likert")
MODULE_KINDS = ("lesson", "assessment", "evaluation")
COMPLETION_RULES = ("pages", "passed", "evaluation", "time")


@dataclass(frozen=True)
class Choice:
    """One answer option of a choice question."""

    text: str  # plain text, used in reports and labels for screen readers
    html: str  # rendered inline Markdown
    correct: bool = False
    feedback_html: str | None = None


@dataclass(frozen=True)
class Question:
    """One question (a ```quiz block)."""

    id: str
    type: str
    prompt_html: str
    prompt_text: str
    loc: Location
    module_id: str
    graded: bool
    points: float = 1.0
    choices: tuple[Choice, ...] = ()
    answer: bool | None = None  # true-false
    answers: tuple[str, ...] = ()  # text: accepted answers (empty: free text)
    scale: tuple[str, ...] = ()  # likert
    feedback_correct_html: str | None = None
    feedback_incorrect_html: str | None = None

    @property
    def choice_labels(self) -> tuple[str, ...]:
        """Labels of the options a learner picks from (true-false and likert included)."""
        if self.type == "true-false":
            return ("True", "False")
        if self.type == "likert":
            return self.scale
        return tuple(c.text for c in self.choices)

    @property
    def correct_indexes(self) -> tuple[int, ...]:
        """Indexes of correct options for choice-like questions (empty when not applicable)."""
        if self.type == "true-false":
            return (0,) if self.answer else (1,)
        return tuple(i for i, c in enumerate(self.choices) if c.correct)

    @property
    def is_free_text(self) -> bool:
        return self.type == "text" and not self.answers


@dataclass(frozen=True)
class HtmlBlock:
    """Sanitised HTML between questions."""

    html: str


@dataclass(frozen=True)
class QuizBlock:
    question: Question


Block = HtmlBlock | QuizBlock


@dataclass(frozen=True)
class Page:
    """One screen: a level-1 heading and what follows it."""

    id: str  # "<module>-p<n>", stable while the module's structure is
    title: str
    module_id: str
    blocks: tuple[Block, ...]
    loc: Location

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(b.question for b in self.blocks if isinstance(b, QuizBlock))


@dataclass(frozen=True)
class Module:
    """One modules/*.md file."""

    id: str  # the file stem
    title: str
    kind: str
    loc: Location
    pages: tuple[Page, ...]
    minutes: float = 0
    objectives: tuple[str, ...] = ()
    pool: int | None = None
    shuffle: bool = False
    attempts: int = 0  # 0: unlimited

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for p in self.pages for q in p.questions)

    @property
    def graded_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.graded)


@dataclass(frozen=True)
class Asset:
    """A file under assets/, copied into every package under the same relative path."""

    path: str  # posix path relative to the course root, e.g. "assets/img/x.png"
    source: Path
    size: int


@dataclass(frozen=True)
class CE:
    """Continuing-education credit metadata."""

    hours: float | None = None
    provider: str | None = None
    approval: str | None = None
    attestation: str | None = None  # shown before the certificate, e.g. "I completed ..."


@dataclass(frozen=True)
class Course:
    """A validated course; targets see only this, never YAML or Markdown."""

    root: Path
    id: str
    title: str
    version: str
    loc: Location
    modules: tuple[Module, ...]
    assets: tuple[Asset, ...] = ()
    language: str = "en"
    description: str = ""
    authors: tuple[str, ...] = ()
    ce: CE = field(default_factory=CE)
    passing_score: float = 80
    min_minutes: float = 0
    completion: tuple[str, ...] = ("pages", "passed")
    templates_dir: Path | None = None

    @property
    def pages(self) -> tuple[Page, ...]:
        return tuple(p for m in self.modules for p in m.pages)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for m in self.modules for q in m.questions)

    @property
    def graded_questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.questions if q.graded)

    @property
    def minutes(self) -> float:
        return sum(m.minutes for m in self.modules)

    def with_version(self, version: str) -> Course:
        """The same course stamped with another version (release tags)."""
        return replace(self, version=version)
