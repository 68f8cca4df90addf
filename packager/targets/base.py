"""The base target: owns the build sequence; subclasses fill in what differs."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import jinja2

from packager.diagnostics import Diagnostic
from packager.model import Course
from packager.render import RUNTIME_DIR, RenderedCourse, render_course, render_shell
from packager.templating import make_environment
from packager.zipwriter import Entry, write_zip


@dataclass
class BuildContext:
    """One course's build, shared by every target so parsing and rendering happen once."""

    course: Course
    project_templates: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def env(self) -> jinja2.Environment:
        return make_environment(self.course.templates_dir, self.project_templates)

    @cached_property
    def rendered(self) -> RenderedCourse:
        return render_course(self.course, self.env)


@dataclass(frozen=True)
class Artifact:
    """A written package."""

    path: Path
    target: str
    course_id: str
    version: str
    size: int
    sha256: str
    seconds: float
    warnings: tuple[Diagnostic, ...] = ()
    cached: bool = False  # True when an up-to-date package was kept instead of rebuilt

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "target": self.target, "course": self.course_id,
            "version": self.version, "size": self.size, "sha256": self.sha256,
            "seconds": round(self.seconds, 3), "rebuilt": not self.cached,
            "warnings": [w.format() for w in self.warnings],
        }


class Target:
    """A package format. Subclasses set ``name`` and ``adapter`` and add their own files."""

    name: ClassVar[str]
    adapter: ClassVar[str] = "web"  # the runtime adapter the course document loads
    description: ClassVar[str] = ""

    def artifact_name(self, course: Course) -> str:
        return f"{course.id}-{course.version}-{self.name}.zip"

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        """Problems that stop this target only (e.g. a size limit of the standard)."""
        return []

    def runtime_files(self) -> list[str]:
        """Runtime files shipped, relative to packager/runtime."""
        files = ["core.js", "certificate.js", "style.css", "web.js"]
        if self.adapter != "web":
            files.append(f"{self.adapter}.js")
        return files

    def runtime_config(self, ctx: BuildContext) -> dict[str, Any]:
        """Target settings the runtime reads as ``Packager.config`` (JSON-serialisable)."""
        return {"target": self.name}

    def shell_extra(self, ctx: BuildContext) -> dict[str, Any]:
        """Extra variables for the course.html template."""
        return {}

    def content_entries(self, ctx: BuildContext) -> list[Entry]:
        """The course as HTML with its runtime and assets: what every HTML target ships."""
        shell = render_shell(ctx.course, ctx.rendered, ctx.env, self.adapter,
                             self.runtime_config(ctx), self.shell_extra(ctx))
        entries = [Entry("index.html", shell.encode("utf-8"))]
        entries += [Entry(f"runtime/{name}", source=RUNTIME_DIR / name)
                    for name in self.runtime_files()]
        entries += [Entry(a.path, source=a.source) for a in ctx.course.assets]
        return entries

    def extra_entries(self, ctx: BuildContext, content: list[Entry]) -> list[Entry]:
        """Files beyond the content, e.g. a manifest that lists the content."""
        return []

    def entries(self, ctx: BuildContext) -> list[Entry]:
        content = self.content_entries(ctx)
        return content + self.extra_entries(ctx, content)

    def build(self, ctx: BuildContext, out_dir: Path) -> Artifact:
        """Write the package atomically and describe it."""
        start = time.perf_counter()
        digest = hashlib.sha256()  # fed while the package is written, not read back after
        path = write_zip(out_dir / self.artifact_name(ctx.course), self.entries(ctx), digest)
        return Artifact(path=path, target=self.name, course_id=ctx.course.id,
                        version=ctx.course.version, size=path.stat().st_size,
                        sha256=digest.hexdigest(), seconds=time.perf_counter() - start)
