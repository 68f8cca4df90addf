"""Reads a course folder into one validated, immutable Course (or every reason it cannot)."""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path
from typing import Any

from packager.diagnostics import CourseError, Diagnostic, Diagnostics, Location, nearest
from packager.forked import can_fork, map_forked, usable_cores
from packager.markdown import Markdown
from packager.model import CE, COMPLETION_RULES, Asset, Course, Module
from packager.modules import ModuleContext, duplicate_ids, parse_module
from packager.questions import check_keys
from packager.yamlsrc import YList, YMap, load_yaml

COURSE_KEYS = ("id", "title", "version", "language", "description", "authors", "ce",
               "passing_score", "min_minutes", "completion", "modules")
CE_KEYS = ("hours", "provider", "approval", "attestation")
DEFAULT_ATTESTATION = ("I attest that I completed this course myself, in full, and that the "
                       "answers I submitted are my own.")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                       r"(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")
BCP47_RE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
MODULE_STEM_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
# Below this much Markdown, forking costs more than parsing in parallel saves (the 42-page,
# 144 KB ethics course: 0.05 -> 0.044 s; the 200-page bench course: 0.12 -> 0.08 s).
PARALLEL_MIN_BYTES = 128 * 1024
MAX_PARSE_JOBS = 8


def load_course(course_dir: str | os.PathLike[str], *, jobs: int | None = None,
                ) -> tuple[Course | None, list[Diagnostic]]:
    """Load and validate a course; returns the Course (None on errors) and all diagnostics.

    Module files are parsed in ``jobs`` processes; None decides by the course's size and
    the cores available. The result is the same for any ``jobs``.
    """
    diags = Diagnostics()
    root = Path(course_dir)
    course = _load(root, diags, jobs)
    if diags.errors:
        course = None
    return course, diags.sorted()


def read_course(course_dir: str | os.PathLike[str]) -> tuple[Course, list[Diagnostic]]:
    """Load a course or raise CourseError with every diagnostic; returns warnings too."""
    course, diags = load_course(course_dir)
    if course is None:
        raise CourseError(diags)
    return course, diags


def _load(root: Path, diags: Diagnostics, jobs: int | None) -> Course | None:
    yaml_path = root / "course.yaml"
    if not root.is_dir():
        diags.error(Location(str(root)), "not a course folder (no such directory)")
        return None
    if not yaml_path.is_file():
        diags.error(Location(str(yaml_path)), "missing course.yaml",
                    "a course folder holds course.yaml and modules/; try 'packager new'")
        return None
    try:
        text = yaml_path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as exc:
        diags.error(Location(str(yaml_path), 1, 1), f"cannot read course.yaml: {exc}")
        return None
    data = load_yaml(text, str(yaml_path), diags)
    if data is None:
        if not diags.errors:
            diags.error(Location(str(yaml_path), 1, 1), "course.yaml is empty")
        return None
    if not isinstance(data, YMap):
        diags.error(Location(str(yaml_path), 1, 1), "course.yaml must be a YAML mapping")
        return None
    check_keys(data, COURSE_KEYS, "course.yaml", diags)

    cid = _required_text(data, "id", diags)
    if cid and not ID_RE.match(cid):
        diags.error(data.value_loc("id"), f"invalid course id '{cid}'",
                    "use lower-case letters, digits and '-', starting with a letter or digit")
    title = _required_text(data, "title", diags)
    version = data.get("version")
    if version is None:
        diags.error(data.loc, "missing 'version'", "add e.g. 'version: 1.0.0'")
    elif not isinstance(version, str) or not SEMVER_RE.match(version):
        hint = "quote it and use three numbers, e.g. version: \"1.0.0\""
        diags.error(data.value_loc("version"), f"invalid version '{version}' "
                    "(not a semantic version)", hint)
    language = data.get("language", "en")
    if not isinstance(language, str) or not BCP47_RE.match(language):
        diags.error(data.value_loc("language"), f"invalid language tag '{language}'",
                    "use a BCP 47 tag such as en, en-US or fr-CA")
        language = "en"
    description = data.get("description", "")
    if not isinstance(description, str):
        diags.error(data.value_loc("description"), "'description' must be text")
        description = ""
    authors = data.get("authors", [])
    if isinstance(authors, str):
        authors = [authors]
    if not isinstance(authors, list) or not all(isinstance(a, str) for a in authors):
        diags.error(data.value_loc("authors"), "'authors' must be a list of names")
        authors = []
    ce = _parse_ce(data, diags)
    passing = data.get("passing_score", 80)
    if isinstance(passing, bool) or not isinstance(passing, int | float) or not 0 <= passing <= 100:
        diags.error(data.value_loc("passing_score"), "'passing_score' must be a percentage 0-100")
        passing = 80
    min_minutes = data.get("min_minutes", 0)
    if isinstance(min_minutes, bool) or not isinstance(min_minutes, int | float) or min_minutes < 0:
        diags.error(data.value_loc("min_minutes"), "'min_minutes' must be a number >= 0")
        min_minutes = 0

    md = Markdown()
    assets = _scan_assets(root, diags)
    ctx = ModuleContext(root=root, md=md, diags=diags,
                        assets=frozenset(a.path for a in assets))
    modules = _load_modules(root, data, ctx, jobs)
    completion = _parse_completion(data, modules, min_minutes, diags)

    if modules and not any(m.pages for m in modules):
        diags.error(data.value_loc("modules"), "the course has no pages")

    if diags.errors:
        return None
    templates = root / "templates"
    return Course(
        root=root, id=cid or "", title=title or "", version=str(version),
        loc=Location(str(yaml_path), 1, 1), modules=tuple(modules), assets=tuple(assets),
        language=language, description=" ".join(description.split()),
        authors=tuple(authors), ce=ce, passing_score=float(passing),
        min_minutes=float(min_minutes), completion=completion,
        templates_dir=templates if templates.is_dir() else None,
    )


def _required_text(data: YMap, key: str, diags: Diagnostics) -> str | None:
    value = data.get(key)
    if value is None:
        diags.error(data.loc, f"missing '{key}'")
        return None
    if not isinstance(value, str) or not value.strip():
        diags.error(data.value_loc(key), f"'{key}' must be text")
        return None
    return value.strip()


def _parse_ce(data: YMap, diags: Diagnostics) -> CE:
    raw = data.get("ce")
    if raw is None:
        return CE()
    if not isinstance(raw, YMap):
        diags.error(data.value_loc("ce"), "'ce' must be a mapping (hours, provider, approval)")
        return CE()
    check_keys(raw, CE_KEYS, "ce", diags)
    hours = raw.get("hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float)
                              or hours <= 0):
        diags.error(raw.value_loc("hours"), "'hours' must be a positive number")
        hours = None
    texts: dict[str, Any] = {}
    if raw.get("attestation") is True:
        raw["attestation"] = DEFAULT_ATTESTATION
    elif raw.get("attestation") is False:
        raw["attestation"] = None
    for key in ("provider", "approval", "attestation"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            diags.error(raw.value_loc(key), f"'{key}' must be text")
            value = None
        texts[key] = " ".join(value.split()) if value else None
    return CE(hours=float(hours) if hours is not None else None, **texts)


def _load_modules(root: Path, data: YMap, ctx: ModuleContext, jobs: int | None,
                  ) -> list[Module]:
    diags = ctx.diags
    listed = data.get("modules")
    modules_dir = root / "modules"
    if listed is None:
        diags.error(data.loc, "missing 'modules' (the list of module files, in order)",
                    "e.g. modules: [01-introduction]")
        return []
    if not isinstance(listed, YList) or not listed:
        diags.error(data.value_loc("modules"), "'modules' must be a non-empty list of names")
        return []
    todo: list[tuple[str, Path]] = []
    names: set[str] = set()
    for i, name in enumerate(listed):
        loc = listed.item_loc(i)
        if not isinstance(name, str) or not MODULE_STEM_RE.match(name):
            diags.error(loc, f"invalid module name '{name}'",
                        "give the file name under modules/ without '.md'")
            continue
        if name.endswith(".md"):
            diags.error(loc, f"module '{name}' is listed with its extension",
                        f"write '{name[:-3]}'")
            name = name[:-3]
        if name in names:
            diags.error(loc, f"module '{name}' is listed twice")
            continue
        names.add(name)
        path = modules_dir / f"{name}.md"
        if not path.is_file():
            existing = sorted(p.stem for p in modules_dir.glob("*.md")) if modules_dir.is_dir() \
                else []
            diags.error(loc, f"module '{name}' is listed but {path} does not exist",
                        nearest(name, existing) or "create the file or remove it from the list")
            continue
        if not path.resolve().is_relative_to(root.resolve()):
            diags.error(loc, f"module '{name}' is a symlink that leaves the course folder")
            continue
        todo.append((name, path))
    modules = _parse_modules(todo, ctx, jobs)
    if modules_dir.is_dir():
        for path in sorted(modules_dir.glob("*.md")):
            if path.stem not in names:
                diags.warning(Location(str(path)), f"module file '{path.name}' is not listed in "
                              "course.yaml and is left out", "add it to 'modules:' to include it")
    return modules


def _parse_modules(todo: list[tuple[str, Path]], ctx: ModuleContext,
                   jobs: int | None) -> list[Module]:
    """Parse the listed module files, in order, in one or more processes."""
    sizes = [path.stat().st_size for _, path in todo]
    if jobs is None:
        jobs = usable_cores() if sum(sizes) >= PARALLEL_MIN_BYTES else 1
    jobs = min(jobs, len(todo), MAX_PARSE_JOBS)
    chunks = _split(todo, sizes, jobs) if jobs > 1 and can_fork() else [todo]
    parse = partial(_parse_chunk, ctx=ctx)
    results = map_forked(parse, chunks) if len(chunks) > 1 else [parse(todo)]
    modules: list[Module] = []
    quiz_ids: list[tuple[str, Location]] = []
    for parsed, diagnostics, ids in results:
        modules += parsed
        ctx.diags.extend(diagnostics)
        quiz_ids += ids
    duplicate_ids(quiz_ids, ctx.diags)
    return modules


def _parse_chunk(todo: list[tuple[str, Path]], ctx: ModuleContext,
                 ) -> tuple[list[Module], list[Diagnostic], list[tuple[str, Location]]]:
    """Parse some modules with a context of their own: what a forked parser sends back."""
    own = ModuleContext(root=ctx.root, md=ctx.md, diags=Diagnostics(), assets=ctx.assets)
    modules = [m for m in (parse_module(name, path, own) for name, path in todo) if m]
    return modules, own.diags.items, own.quiz_ids


def _split(todo: list[tuple[str, Path]], sizes: list[int],
           parts: int) -> list[list[tuple[str, Path]]]:
    """Consecutive runs of modules holding about the same amount of Markdown each."""
    total, chunks, current, done = sum(sizes), [], [], 0
    for index, (item, size) in enumerate(zip(todo, sizes, strict=True)):
        current.append(item)
        done += size
        to_open = parts - len(chunks) - 1  # runs still to start after this one
        if to_open and (done * parts >= total * (len(chunks) + 1)
                        or len(todo) - index - 1 <= to_open):
            chunks.append(current)
            current = []
    return chunks + [current] if current else chunks


def _parse_completion(data: YMap, modules: list[Module], min_minutes: float,
                      diags: Diagnostics) -> tuple[str, ...]:
    graded = any(m.graded_questions for m in modules)
    raw = data.get("completion")
    if raw is None:
        return ("pages", "passed") if graded else ("pages",)
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        diags.error(data.value_loc("completion"), "'completion' must be a list of rules",
                    f"any of: {', '.join(COMPLETION_RULES)}")
        return ("pages",)
    rules: list[str] = []
    for i, rule in enumerate(raw):
        loc = raw.item_loc(i) if isinstance(raw, YList) else data.value_loc("completion")
        if rule not in COMPLETION_RULES:
            hint = nearest(str(rule), COMPLETION_RULES) or f"any of: {', '.join(COMPLETION_RULES)}"
            diags.error(loc, f"unknown completion rule '{rule}'", hint)
            continue
        if rule in rules:
            continue
        if rule == "passed" and modules and not graded:
            diags.error(loc, "completion rule 'passed' needs graded questions",
                        "add an assessment module, or remove 'passed'")
        if rule == "evaluation" and modules and not any(m.kind == "evaluation" for m in modules):
            diags.error(loc, "completion rule 'evaluation' needs an evaluation module",
                        "set 'kind: evaluation' on the course evaluation module")
        if rule == "time" and not min_minutes:
            diags.error(loc, "completion rule 'time' needs 'min_minutes' above 0")
        rules.append(rule)
    return tuple(rules)


def _scan_assets(root: Path, diags: Diagnostics) -> list[Asset]:
    """Every file under assets/; symlinks that leave the course are errors."""
    base = root / "assets"
    if not base.is_dir():
        return []
    real_root = root.resolve()
    assets = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames.sort()
        for name in list(dirnames):
            full = Path(dirpath) / name
            if full.is_symlink() and not full.resolve().is_relative_to(real_root):
                diags.error(Location(str(full)), "symlinked folder leaves the course folder",
                            "copy the files into assets/ instead")
                dirnames.remove(name)
        for name in sorted(filenames):
            full = Path(dirpath) / name
            if name.startswith("."):
                continue
            if full.is_symlink() and not full.resolve().is_relative_to(real_root):
                diags.error(Location(str(full)), "symlink leaves the course folder",
                            "copy the file into assets/ instead of linking to it")
                continue
            if not full.is_file():
                continue
            rel = full.relative_to(root).as_posix()
            assets.append(Asset(path=rel, source=full, size=full.stat().st_size))
    return sorted(assets, key=lambda a: a.path)
