"""axe-core on every page of the built ethics course, before and after answering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.a11y.conftest import blocking, run_axe
from tests.conftest import ETHICS, ROOTS
from tests.runtime.lms import answer, questions_by_id

SHOWN = "section.page:not([hidden])"


def walk_with_axe(page: Any, course_dir: Path,
                  alternate: bool) -> tuple[list[str], list[str], set[str]]:
    """Next through the course; axe on each page, and on the page again once answered.

    With ``alternate`` answers alternate between right and wrong, so both kinds of feedback
    (and a failed assessment's retake offer) are on screen; otherwise all are right, so the
    course completes and its certificate can be checked too.
    """
    questions = questions_by_id(course_dir)
    problems: list[str] = []
    visited: list[str] = []
    ran: set[str] = set()
    right = True
    while True:
        shown = page.locator(SHOWN)
        where = shown.get_attribute("id")
        visited.append(where)
        results = run_axe(page)
        ran.update(results["passes"] + results["incomplete"])
        problems += blocking(results, where)
        todo = False
        for fs in shown.locator("fieldset.question:not([hidden])").all():
            if fs.locator("input").first.is_disabled():
                continue
            answer(fs, questions[fs.get_attribute("id")[2:]], right)
            right = not right if alternate else True
            todo = True
        if todo:
            shown.locator("button.submit").click()
            assert shown.locator(".page-status").inner_text().strip()
            # Only the page changed (feedback, status, retake): the rest was just checked.
            results = run_axe(page, f"#{where}")
            problems += blocking(results, f"{where} (answers submitted)")
        nxt = page.locator("button.nav-next")
        if nxt.is_disabled():
            return problems, visited, ran
        nxt.click()


def certificate_with_axe(page: Any) -> list[str]:
    """Open the certificate and go through its steps (attestation, name), axe at each."""
    page.locator(".cert-button").click()
    problems: list[str] = []
    for step in range(4):
        problems += blocking(run_axe(page), f"certificate step {step + 1}")
        if page.locator(".cert-body").is_visible():
            return problems
        if page.locator(".cert-attest").is_visible():
            page.locator("#attest-box").check()
            page.locator(".attest-confirm").click()
        elif page.locator(".cert-name-entry").is_visible():
            page.locator("#cert-name").fill("Alex Example")
            page.locator(".cert-name-save").click()
    raise AssertionError("the certificate never showed")


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
