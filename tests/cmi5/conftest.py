"""Fixtures for the cmi5 tests: Ralph's LRS once per run, an LMS per test, packages built once."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from packager import api
from packager.loader import load_course
from tests.cmi5.learner import answers_for
from tests.cmi5.lms import LMS
from tests.cmi5.lrs import Ralph, start_ralph


@pytest.fixture(scope="session")
def ralph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ralph]:
    """Ralph's LRS (filesystem backend) on 127.0.0.1, its data in a temporary folder."""
    lrs = start_ralph(tmp_path_factory.mktemp("ralph"))
    yield lrs
    lrs.stop()


@pytest.fixture
def lms(ralph: Ralph) -> Iterator[LMS]:
    server = LMS(ralph)
    yield server
    server.close()


@pytest.fixture(scope="session")
def cmi5_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """cmi5_site(course_dir, **options) -> the unzipped cmi5 package (built once per run)."""
    cache: dict[tuple[str, tuple[tuple[str, Any], ...]], Path] = {}

    def get(course_dir: Path, **options: Any) -> Path:
        key = (str(course_dir), tuple(sorted(options.items())))
        if key not in cache:
            out = tmp_path_factory.mktemp("cmi5")
            (artifact,) = api.build(course_dir, ["cmi5"], out, options=options)
            site = out / "site"
            with zipfile.ZipFile(artifact.path) as zf:
                zf.extractall(site)
            cache[key] = site
        return cache[key]

    return get


@pytest.fixture(scope="session")
def answers() -> Callable[[Path, bool], dict[str, Any]]:
    """answers(course_dir, right) -> what the learner answers, by question id."""
    cache: dict[tuple[Path, bool], dict[str, Any]] = {}

    def get(course_dir: Path, right: bool = True) -> dict[str, Any]:
        if (course_dir, right) not in cache:
            course, _ = load_course(course_dir)
            assert course is not None
            cache[course_dir, right] = answers_for(course, right)
        return cache[course_dir, right]

    return get


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser context (its own localStorage and sessionStorage) per test."""
    ctx = browser.new_context()
    yield ctx
    ctx.close()


@pytest.fixture
def au_url(cmi5_site: Callable[..., Path], serve_dir: Callable[[Path], str]
           ) -> Callable[[Path], str]:
    """au_url(course_dir) -> the URL of the single-AU package's index.html, served."""
    served: dict[Path, str] = {}

    def get(course_dir: Path) -> str:
        if course_dir not in served:
            served[course_dir] = serve_dir(cmi5_site(course_dir)) + "index.html"
        return served[course_dir]

    return get
