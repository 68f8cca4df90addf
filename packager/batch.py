"""Batch builds for CI: many courses and targets, in parallel, skipping what is up to date."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packager import __version__
from packager.diagnostics import CourseError, Diagnostic, PackagerError, UsageError
from packager.render import RUNTIME_DIR
from packager.targets import expand
from packager.targets.base import Artifact
from packager.templating import BUILTIN_DIR

CACHE_DIR = ".packager-cache"


@dataclass
class CourseFailure:
    """A course that could not be built, with every reason."""

    path: str
    diagnostics: list[Diagnostic]
    message: str = ""


@dataclass
class BatchResult:
    artifacts: list[Artifact] = field(default_factory=list)
    failures: list[CourseFailure] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "artifacts": [a.as_dict() for a in self.artifacts],
            "rebuilt": sum(not a.cached for a in self.artifacts),
            "up_to_date": sum(a.cached for a in self.artifacts),
            "failures": [{"path": f.path, "message": f.message,
                          "diagnostics": [d.as_dict() for d in f.diagnostics]}
                         for f in self.failures],
        }


def find_courses(paths: list[str]) -> list[Path]:
    """A path is a course (has course.yaml) or a folder of courses, e.g. ``courses/``."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if (path / "course.yaml").is_file() or not path.is_dir():
            found.append(path)  # a missing folder is reported by the loader
            continue
        children = sorted(p for p in path.iterdir() if (p / "course.yaml").is_file())
        if not children:
            raise UsageError(f"{path} holds no course (no course.yaml in it or its sub-folders)")
        found.extend(children)
    return found


def _tree_signature(folders: list[Path | None]) -> list[tuple[str, int, int]]:
    # Stat, not content: a no-op check must stay fast even with gigabytes of media.
    sig: list[tuple[str, int, int]] = []
    for folder in folders:
        if folder is None or not folder.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                full = os.path.join(dirpath, name)
                try:
                    st = os.stat(full)
                except OSError:
                    continue
                sig.append((full, st.st_size, st.st_mtime_ns))
    return sig


def cache_key(course_dir: Path, target: str, settings: dict[str, Any],
              project_templates: Path | None,
              files: list[tuple[str, int, int]] | None = None) -> str:
    """Changes when sources, templates, runtime, packager version or settings change.

    ``files`` is the signature of those folders when the caller already has it.
    """
    if files is None:
        files = _tree_signature([course_dir, project_templates, BUILTIN_DIR, RUNTIME_DIR])
    payload = {"packager": __version__, "target": target, "settings": settings,
               "files": files}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _cache_file(out_dir: Path, course_dir: Path, target: str) -> Path:
    tag = hashlib.sha1(str(course_dir.resolve()).encode()).hexdigest()[:16]
    return out_dir / CACHE_DIR / f"{tag}-{target}.json"


def _cached(out_dir: Path, course_dir: Path, target: str, key: str) -> Artifact | None:
    try:
        record = json.loads(_cache_file(out_dir, course_dir, target).read_text())
        path = Path(record["path"])
        st = path.stat()
    except (OSError, ValueError, KeyError):
        return None
    if record.get("key") != key or [st.st_size, st.st_mtime_ns] != record.get("stat"):
        return None
    return Artifact(path=path, target=target, course_id=record["course"],
                    version=record["version"], size=st.st_size, sha256=record["sha256"],
                    seconds=0.0, cached=True)


def _remember(out_dir: Path, course_dir: Path, artifact: Artifact, key: str) -> None:
    st = artifact.path.stat()
    record = {"key": key, "path": str(artifact.path), "course": artifact.course_id,
              "version": artifact.version, "sha256": artifact.sha256,
              "stat": [st.st_size, st.st_mtime_ns]}
    path = _cache_file(out_dir, course_dir, artifact.target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)


def build_course(course_dir: str, targets: list[str], out_dir: str, version: str | None,
                 strict: bool, force: bool, options: dict[str, Any],
                 parse_jobs: int | None = None) -> list[Artifact]:
    """Build one course for several targets, skipping those already up to date."""
    from packager import api  # late: keeps worker start-up light

    course_path, out = Path(course_dir), Path(out_dir)
    project = api.default_project_templates(course_path)
    settings = {"version": version, "strict": strict, "options": options}
    # One walk of the sources for every target: it stats every media file.
    files = _tree_signature([course_path, project, BUILTIN_DIR, RUNTIME_DIR])
    keys = {t: cache_key(course_path, t, settings, project, files) for t in targets}
    done: dict[str, Artifact] = {}
    if not force:
        for target in targets:
            hit = _cached(out, course_path, target, keys[target])
            if hit:
                done[target] = hit
    todo = [t for t in targets if t not in done]
    if todo:
        for artifact in api.build(course_path, todo, out, version=version, strict=strict,
                                  options=options, parse_jobs=parse_jobs):
            _remember(out, course_path, artifact, keys[artifact.target])
            done[artifact.target] = artifact
    return [done[t] for t in targets]


Progress = Callable[[str, str], None]  # (course path, event) for progress displays


def build_many(paths: list[str], targets: list[str], out_dir: str = "dist", *,
               version: str | None = None, strict: bool = False, force: bool = False,
               jobs: int | None = None, options: dict[str, Any] | None = None,
               progress: Progress | None = None) -> BatchResult:
    """Build every course in ``paths`` for every target; courses run in parallel processes."""
    names = expand(targets or ["web"])
    courses = find_courses(paths)
    options = dict(options or {})
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(courses)))
    result = BatchResult()
    report = progress or (lambda course, event: None)

    def record(course: Path, run: Callable[[], list[Artifact]]) -> None:
        try:
            result.artifacts.extend(run())
            report(str(course), "done")
        except CourseError as exc:
            result.failures.append(CourseFailure(str(course), exc.diagnostics, exc.message))
            report(str(course), "failed")
        except UsageError:
            raise
        except PackagerError as exc:
            result.failures.append(CourseFailure(str(course), [], exc.message))
            report(str(course), "failed")

    # Courses in parallel already keep the cores busy: each then parses in one process.
    args = (names, out_dir, version, strict, force, options, 1 if jobs > 1 else None)
    if jobs == 1:
        for course in courses:
            report(str(course), "start")
            record(course, lambda c=course: build_course(str(c), *args))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed  # only for -j > 1

        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = {pool.submit(build_course, str(c), *args): c for c in courses}
            for c in courses:
                report(str(c), "start")
            for future in as_completed(futures):
                record(futures[future], future.result)
    order = {str(c): i for i, c in enumerate(courses)}
    result.artifacts.sort(key=lambda a: (a.course_id, names.index(a.target)))
    result.failures.sort(key=lambda f: order.get(f.path, 0))
    return result
