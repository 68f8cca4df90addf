"""axe-core on every page of the built ethics course, answered, and on its certificate."""

from __future__ import annotations

from typing import Any

import yaml

from tests.a11y.walk import certificate_with_axe, walk_with_axe
from tests.conftest import ETHICS


def test_no_serious_or_critical_violations_on_any_page_of_the_ethics_course(open_course: Any):
    page = open_course(ETHICS)
    problems, visited, ran = walk_with_axe(page, ETHICS, alternate=False)
    assert page.evaluate("Packager.rules().completed")
    problems += certificate_with_axe(page)
    assert problems == [], "\n".join(problems)
    course = yaml.safe_load((ETHICS / "course.yaml").read_text(encoding="utf-8"))
    assert len(visited) >= len(course["modules"])
    assert len(set(visited)) == len(visited)  # Next always moved on
    # Contrast was checked (it is not silently out of scope), and so were names and language.
    assert {"color-contrast", "html-has-lang", "button-name", "label"} <= ran
