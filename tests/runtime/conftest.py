"""Fixtures for the runtime tests: packages built once per run, an LMS per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from packager import api
from tests.conftest import SCHEMAS
from tests.runtime.lms import LMS, build, stage

TARGETS = {"1.2": "scorm12", "2004": "scorm2004"}


@pytest.fixture(scope="session")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Build and stage a package once per (course, target, options) for the whole run."""
    cache: dict[tuple[str, str, tuple[tuple[str, Any], ...]], Path] = {}

    def get(course_dir: Path, target: str, **options: Any) -> Path:
        key = (str(course_dir), target, tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp(target)
            package = build(course_dir, target, out, **options)
            if target in TARGETS.values():  # every package the tests run passes the checker
                (report,) = api.check([package], SCHEMAS)
                assert report.ok() and report.schema_checked, report.lines()
            cache[key] = stage(package, out / "site")
        return cache[key]

    return get


@pytest.fixture
def lms(browser: Any, serve_dir: Callable[[Path], str],
        staged: Callable[..., Path]) -> Iterator[Callable[..., LMS]]:
    """lms(course_dir, version, **build_options) -> an LMS serving that package."""
    opened: list[LMS] = []

    def open_lms(course_dir: Path, version: str, **options: Any) -> LMS:
        folder = staged(course_dir, TARGETS[version], **options)
        opened.append(LMS(browser, serve_dir(folder), version))
        return opened[-1]

    yield open_lms
    for each in opened:
        each.close()
