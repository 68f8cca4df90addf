"""The library API: everything the CLI does, as plain functions."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packager.diagnostics import CourseError, Diagnostic, UsageError
from packager.loader import SEMVER_RE, load_course, read_course
from packager.model import Course
from packager.targets import expand, get_target
from packager.targets.base import Artifact, BuildContext

if TYPE_CHECKING:  # the checker (lxml, schemas) loads only when a check runs
    from packager.scorm.check import CheckReport


@dataclass
class ValidationResult:
    """The outcome of validating one course folder."""

    path: str
    course: Course | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.level == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "course": self.course.id if self.course else None,
            "version": self.course.version if self.course else None,
            "errors": len(self.errors), "warnings": len(self.warnings),
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def validate(paths: Iterable[str | os.PathLike[str]]) -> list[ValidationResult]:
    """Validate each course folder; never raises for bad input."""
    results = []
    for path in paths:
        course, diags = load_course(path)
        results.append(ValidationResult(str(path), course, diags))
    return results


def default_project_templates(course_dir: Path) -> Path | None:
    """The project's templates/: beside the courses/ folder that holds the course."""
    candidate = course_dir.resolve().parent.parent / "templates"
    return candidate if candidate.is_dir() else None


def build(course_dir: str | os.PathLike[str], targets: list[str], out_dir: str | os.PathLike[str]
          = "dist", *, version: str | None = None, strict: bool = False,
          project_templates: Path | None = None,
          options: dict[str, Any] | None = None,
          parse_jobs: int | None = None) -> list[Artifact]:
    """Load a course once, then write one package per target into ``out_dir``.

    Raises CourseError (every diagnostic) before writing anything if the course is invalid.
    ``parse_jobs`` is the loader's ``jobs`` (processes parsing the module files).
    """
    names = expand(targets or ["web"])
    if version is not None and not SEMVER_RE.match(version):
        raise UsageError(f"--version '{version}' is not a semantic version (e.g. 1.2.0)")
    course, diags = load_course(course_dir, jobs=parse_jobs)
    warnings = [d for d in diags if d.level == "warning"]
    if course is None or (strict and warnings):
        raise CourseError(diags)
    if version is not None:
        course = course.with_version(version)
    root = Path(course_dir)
    ctx = BuildContext(course=course,
                       project_templates=project_templates or default_project_templates(root),
                       options=dict(options or {}))
    target_objs = [get_target(n)() for n in names]
    problems = [d for t in target_objs for d in t.check(ctx)]
    if any(p.level == "error" for p in problems):
        raise CourseError(problems + warnings)
    artifacts = []
    for target in target_objs:
        artifact = target.build(ctx, Path(out_dir))
        artifacts.append(replace(artifact, warnings=tuple(warnings + problems)))
    return artifacts


def check(packages: Iterable[str | os.PathLike[str]],
          schemas: str | os.PathLike[str] | None = None) -> list[CheckReport]:
    """Check SCORM zips (ours or any tool's); schema validation when ``schemas`` is a folder."""
    from packager.scorm.check import check_package

    if schemas is not None and not Path(schemas).is_dir():
        raise UsageError(f"--schemas '{schemas}' is not a folder")
    return [check_package(Path(p), Path(schemas) if schemas is not None else None)
            for p in packages]


def certificate_code(course_dir: str | os.PathLike[str], learner: str, completed_on: str) -> str:
    """The verification code a certificate of this course shows for a learner and date."""
    from packager.certificate import verification_code

    course, _ = read_course(course_dir)
    return verification_code(course, learner, completed_on)
