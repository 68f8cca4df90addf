"""The web target in headless Chromium, driven only through the learner UI contract's roles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from packager.model import Question
from tests.conftest import ETHICS, ROOTS, unzip
from tests.runtime.lms import build, load, walk

COURSES = [pytest.param(ROOTS / "basic", id="basic"), pytest.param(ETHICS, id="ethics")]


@pytest.fixture
def open_course(browser: Any, serve_dir: Callable[[Path], str], page_errors: Any,
                tmp_path: Path) -> Callable[[Path], tuple[Any, list[str]]]:
    """Build the web package, serve it, open index.html; returns the page and its errors."""
    pages: list[Any] = []

    def open_(course: Path) -> tuple[Any, list[str]]:
        site = unzip(build(course, "web", tmp_path / "out"), tmp_path / "site")
        page = browser.new_page(viewport={"width": 1100, "height": 1000})
        pages.append(page)
        errors = page_errors(page)
        page.goto(serve_dir(site) + "index.html")
        page.wait_for_function("() => window.Packager && Packager.ready")
        return page, errors

    yield open_
    for page in pages:
        page.close()


def shown(page: Any) -> Any:
    return page.locator("section.page:not([hidden])")


def answer_by_role(group: Any, q: Question) -> None:
    """Answer correctly, finding controls by role and label as a screen reader user would."""
    if q.type == "text":
        group.get_by_role("textbox", name="Your answer").fill(
            q.answers[0] if q.answers else "A comment.")
        return
    role = "checkbox" if q.type == "multiple" else "radio"
    picks = (len(q.scale) - 1,) if q.type == "likert" else q.correct_indexes
    for i in picks:
        group.get_by_role(role, name=q.choice_labels[i], exact=True).check()


def groups_on(page: Any) -> list[tuple[str, Any]]:
    """(question id, its fieldset found by role group and its legend) on the shown page."""
    out = []
    for fs in shown(page).locator("fieldset.question:not([hidden])").all():
        legend = fs.locator("legend").inner_text()
        group = shown(page).get_by_role("group", name=legend, exact=True)
        assert group.count() == 1, legend
        out.append((fs.get_attribute("id")[2:], group))
    return out


@pytest.mark.parametrize("course", COURSES)
def test_every_page_and_question_through_roles(open_course: Any, course: Path) -> None:
    model = load(course)
    questions = {q.id: q for q in model.questions}
    page, errors = open_course(course)
    prev = page.get_by_role("button", name="Previous")
    nxt = page.get_by_role("button", name="Next")
    bar = page.get_by_role("progressbar")
    assert prev.is_disabled()
    titles, answered = [], 0
    while True:
        titles.append(shown(page).get_by_role("heading", level=1).inner_text())
        groups = groups_on(page)
        for qid, group in groups:
            q = questions[qid]
            if q.type == "true-false":
                assert group.get_by_role("radio", name="True", exact=True).count() == 1
                assert group.get_by_role("radio", name="False", exact=True).count() == 1
            answer_by_role(group, q)
        if groups:
            shown(page).get_by_role("button", name="Submit").click()
            for _qid, group in groups:
                assert group.get_by_role("status").inner_text().strip()
            answered += len(groups)
        if nxt.is_disabled():
            break
        nxt.click()
    # every page was reached, in order (a page holding only questions left out of the pool
    # is skipped by design)
    expected = page.evaluate("""() => Array.from(document.querySelectorAll("section.page"))
        .filter(s => s.querySelector(".content") ||
                Array.from(s.querySelectorAll("fieldset.question")).some(f => !f.hidden))
        .map(s => s.querySelector("h1").textContent)""")
    assert titles == expected
    assert len(expected) >= len(model.pages) - sum(1 for m in model.modules if m.pool)
    drawn = sum(len(m.questions) - len(m.graded_questions) + (m.pool or len(m.graded_questions))
                for m in model.modules)
    assert answered == drawn  # every question in play was answered and submitted
    assert bar.get_attribute("aria-valuenow") == "100"
    assert "You have completed this course. You passed." in page.get_by_role("alert").inner_text()
    assert errors == []


@pytest.mark.parametrize("course", COURSES)
def test_resume_after_reload(open_course: Any, course: Path) -> None:
    model = load(course)
    questions = {q.id: q for q in model.questions}
    page, errors = open_course(course)
    nxt = page.get_by_role("button", name="Next")
    while not groups_on(page):  # the first page with questions
        nxt.click()
    for qid, group in groups_on(page):
        answer_by_role(group, questions[qid])
    shown(page).get_by_role("button", name="Submit").click()
    title = shown(page).get_by_role("heading", level=1).inner_text()
    checked = shown(page).locator("input:checked").evaluate_all("els => els.map(e => e.id)")
    typed = shown(page).locator("input[type=text]").evaluate_all("els => els.map(e => e.value)")
    feedback = shown(page).get_by_role("status").all_inner_texts()

    page.reload()
    page.wait_for_function("() => window.Packager && Packager.ready")
    assert shown(page).get_by_role("heading", level=1).inner_text() == title
    assert shown(page).locator("input:checked").evaluate_all("els => els.map(e => e.id)") \
        == checked
    assert shown(page).locator("input[type=text]").evaluate_all(
        "els => els.map(e => e.value)") == typed
    assert shown(page).get_by_role("status").all_inner_texts() == feedback
    assert errors == []


def test_attempts_limit(open_course: Any) -> None:
    """The post-test allows three attempts: after the third failure no retake is offered."""
    course = ROOTS / "basic"
    questions = {q.id: q for q in load(course).questions}
    page, errors = open_course(course)
    retake = page.get_by_role("button", name="Retake the assessment")
    for attempt in (1, 2, 3):
        walk(page, questions, correct=False, skip_modules=("03-eval",))
        page.get_by_role("button", name="Previous").click()  # the post-test's last page
        status = shown(page).locator(".page-status").inner_text()
        assert page.evaluate("Packager.state()")["m"][1].endswith(f".{attempt}")
        if attempt < 3:
            assert "you can retake the assessment" in status
            shown(page).get_by_role("button", name="Retake the assessment").click()
    assert status.endswith("You did not pass.")
    assert retake.filter(visible=True).count() == 0
    page.reload()  # the count of attempts survives a reload
    page.wait_for_function("() => window.Packager && Packager.ready")
    assert page.evaluate("Packager.state()")["m"][1].endswith(".3")
    assert retake.filter(visible=True).count() == 0
    assert errors == []
