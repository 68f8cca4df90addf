"""axe-core on the basic course (every question type, wrong answers too), and a planted fault."""

from __future__ import annotations

from typing import Any

from tests.a11y.conftest import blocking, run_axe
from tests.a11y.walk import walk_with_axe
from tests.conftest import ROOTS


def test_no_serious_or_critical_violations_in_the_basic_course(open_course: Any):
    """Every question type, a pooled assessment and an evaluation, with feedback shown."""
    page = open_course(ROOTS / "basic")
    problems, visited, _ = walk_with_axe(page, ROOTS / "basic", alternate=True)
    assert problems == [], "\n".join(problems)
    assert visited[0] == "page-01-lesson-p1" and visited[-1] == "page-03-eval-p1"


def test_axe_reports_a_planted_violation(open_course: Any):
    """The check can fail: a contrast and a name problem planted on the page are found."""
    page = open_course(ROOTS / "basic")
    page.evaluate("""() => {
        const b = document.querySelector('.nav-next');
        b.style.background = '#ffffff'; b.style.color = '#eeeeee';
        document.querySelector('main').appendChild(document.createElement('button'));
    }""")
    found = {line.split(": ")[1].split(" ")[0] for line in blocking(run_axe(page), "planted")}
    assert {"color-contrast", "button-name"} <= found
