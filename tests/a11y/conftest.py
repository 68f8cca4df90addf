"""Fixtures for the accessibility tests: built courses served over HTTP, and axe-core."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from packager import api
from tests.conftest import ROOT, unzip

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 A and AA, plus axe's best practices: what "no serious or critical" is judged on.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
BLOCKING = ("serious", "critical")
AXE_RUN = """([tags, context]) => axe.run(context ? {include: [[context]]} : document, {
  runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'], iframes: false,
}).then(r => ({
  violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))})),
  passes: r.passes.map(v => v.id), incomplete: r.incomplete.map(v => v.id),
}))"""


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], Path]:
    """Build a course's web package once per run and unpack it; returns the folder."""
    cache: dict[Path, Path] = {}

    def get(course_dir: Path) -> Path:
        if course_dir not in cache:
            out = tmp_path_factory.mktemp("a11y")
            (artifact,) = api.build(course_dir, ["web"], out)
            cache[course_dir] = unzip(artifact.path, out / "site")
        return cache[course_dir]

    return get


@pytest.fixture
def open_course(browser: Any, serve_dir: Callable[[Path], str], built_site: Callable[[Path], Path],
                page_errors: Any):
    """open_course(course_dir, **page options) -> a Playwright page showing the built course."""
    pages: list[tuple[Any, list[str]]] = []

    def open_(course_dir: Path, **options: Any) -> Any:
        page = browser.new_page(viewport={"width": 1200, "height": 900}, **options)
        pages.append((page, page_errors(page)))
        page.goto(serve_dir(built_site(course_dir)) + "index.html")
        page.wait_for_selector("html[data-packager-ready='1']")
        return page

    yield open_
    for page, errors in pages:
        page.close()
        assert errors == []


def run_axe(page: Any, context: str | None = None) -> dict[str, Any]:
    """axe-core over the document (or the elements matching ``context``); returns its results."""
    assert AXE.is_file(), f"{AXE} is missing: run 'npm ci' (scripts/setup.sh --test does)"
    if not page.evaluate("!!window.axe"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(AXE_RUN, [AXE_TAGS, context])


def blocking(results: dict[str, Any], where: str) -> list[str]:
    """The serious and critical violations, one readable line per element."""
    return [f"{where}: {v['id']} ({v['impact']}): {v['help']} at {n['target']}: {n['summary']}"
            for v in results["violations"] if v["impact"] in BLOCKING for n in v["nodes"]]
