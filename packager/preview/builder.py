"""In-memory builds for the preview: the targets' own files, never a zip, never dist/."""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from packager.api import default_project_templates
from packager.diagnostics import Diagnostic, Location
from packager.loader import load_course
from packager.targets import get_target
from packager.targets.base import BuildContext

# The inspector's modes: what it calls them -> the registered target that builds them.
MODES = {"scorm12": "scorm12", "scorm2004": "scorm2004", "web": "web"}


@dataclass(frozen=True)
class Snapshot:
    """One successful build: every mode's files by path, as an LMS would unpack them."""

    files: dict[str, dict[str, bytes]]
    course: dict[str, Any]
    pages: tuple[str, ...]
    notes: tuple[Diagnostic, ...]  # warnings, and errors of one target only
    seconds: float


@dataclass(frozen=True)
class Failure:
    """A build that stopped on errors in the sources (or in a template)."""

    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    detail: str = ""  # a traceback when the failure was not a course error
    bug: bool = False


def build_snapshot(course_dir: str | os.PathLike[str],
                   project_templates: Path | None = None,
                   options: dict[str, Any] | None = None) -> Snapshot | Failure:
    """Load and render the course once, then collect each mode's package files in memory."""
    start = time.perf_counter()
    root = Path(course_dir)
    course, diags = load_course(root)
    warnings = tuple(d for d in diags if d.level == "warning")
    if course is None:
        return Failure(tuple(diags), time.perf_counter() - start)
    ctx = BuildContext(course=course,
                       project_templates=project_templates or default_project_templates(root),
                       options=dict(options or {}))
    targets = {mode: get_target(name)() for mode, name in MODES.items()}
    # A target's own error (e.g. SCORM 1.2's suspend_data limit) does not stop the preview:
    # the author sees it beside the course, which still runs in the other modes.
    problems = [d for t in targets.values() for d in t.check(ctx)]
    try:
        files: dict[str, dict[str, bytes]] = {}
        sources: dict[Path, bytes] = {}
        for mode, target in targets.items():
            files[mode] = {}
            for entry in target.entries(ctx):
                if entry.data is not None:
                    files[mode][entry.name] = entry.data
                else:
                    path = Path(str(entry.source))
                    if path not in sources:
                        sources[path] = path.read_bytes()
                    files[mode][entry.name] = sources[path]
    except jinja2.TemplateError as exc:
        return Failure((_template_diagnostic(exc),), time.perf_counter() - start)
    data = ctx.rendered.data
    return Snapshot(
        files=files,
        course={"id": course.id, "version": course.version, "title": course.title,
                "language": course.language},
        pages=tuple(p["id"] for p in data["pages"]),
        notes=warnings + tuple(problems),
        seconds=time.perf_counter() - start,
    )


def safe_build(course_dir: str | os.PathLike[str],
               project_templates: Path | None = None) -> Snapshot | Failure:
    """build_snapshot, but a crash becomes a Failure carrying its traceback.

    The preview keeps serving the last good build whatever happens; the traceback still
    reaches the author (terminal and overlay), since a crash here is a bug to report.
    """
    start = time.perf_counter()
    try:
        return build_snapshot(course_dir, project_templates)
    except Exception as exc:  # noqa: BLE001 - shown in full, never swallowed
        detail = traceback.format_exc()
        diag = Diagnostic("error", f"packager crashed: {type(exc).__name__}: {exc}",
                          Location(str(course_dir)))
        return Failure((diag,), time.perf_counter() - start, detail=detail, bug=True)


def _template_diagnostic(exc: jinja2.TemplateError) -> Diagnostic:
    """A template error as a diagnostic at the template's file and line."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", 0) or 0
    if not name:
        # An error while rendering (e.g. an undefined attribute) has no location of its own;
        # Jinja rewrites the traceback so the template's frames carry its file and line.
        tb = exc.__traceback__
        while tb is not None:
            code = tb.tb_frame.f_code
            if code.co_name in ("top-level template code", "template") or \
                    code.co_name.startswith("block "):
                name, line = code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    return Diagnostic("error", f"template error: {exc.message or exc}",
                      Location(name or "template", line, 1 if line else 0))
