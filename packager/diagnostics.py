"""Source locations, diagnostics, and the one exception type for user errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

import click


@dataclass(frozen=True, order=True)
class Location:
    """Where something came from: a file path as the user gave it, 1-based line and column."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path

    def shifted(self, lines: int) -> Location:
        """The same place seen from a file in which this text starts ``lines`` lines down."""
        return Location(self.path, self.line + lines, self.col)


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the sources."""

    level: str  # "error" | "warning"
    message: str
    loc: Location
    hint: str | None = None

    def format(self) -> str:
        text = f"{self.loc}: {self.level}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "path": self.loc.path,
            "line": self.loc.line,
            "col": self.loc.col,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass
class Diagnostics:
    """Collects every problem of a run so they can be reported together."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, loc: Location, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic("error", message, loc, hint))

    def warning(self, loc: Location, message: str, hint: str | None = None) -> None:
        self.items.append(Diagnostic("warning", message, loc, hint))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    def sorted(self) -> list[Diagnostic]:
        return sorted(self.items, key=lambda d: (d.loc, d.level, d.message))


def nearest(word: str, options: Iterable[str]) -> str | None:
    """A "did you mean" hint: the closest option to a misspelt word, if any is close."""
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None


class PackagerError(click.ClickException):
    """A user error: printed cleanly by the CLI, never with a traceback."""

    exit_code = 1


class CourseError(PackagerError):
    """A course has errors; carries every diagnostic of the run."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        errors = sum(1 for d in diagnostics if d.level == "error")
        super().__init__(f"{errors} error(s) in the course sources")

    def __reduce__(self):  # survive the trip back from a build worker process
        return (CourseError, (self.diagnostics,))

    def format_message(self) -> str:
        lines = [d.format() for d in self.diagnostics]
        lines.append(self.message)
        return "\n".join(lines)


class UsageError(PackagerError):
    """Bad command-line usage (exit 2)."""

    exit_code = 2
