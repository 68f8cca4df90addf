"""Walking a built course with axe-core: every page, answered pages, the certificate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.a11y.conftest import blocking, run_axe
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
