"""Keyboard-only use, visible focus, focus on navigation, announced feedback, motion, language."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from packager.model import Question
from tests.conftest import ETHICS, ROOTS
from tests.coursekit import picks
from tests.runtime.lms import questions_by_id

BASIC = ROOTS / "basic"
SHOWN = "section.page:not([hidden])"
ACTIVE = "() => { const a = document.activeElement; return a ? a.outerHTML.slice(0, 120) : ''; }"


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches ``selector`` (what a keyboard user does)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
    raise AssertionError(f"Tab never reached {selector}; focus is on {page.evaluate(ACTIVE)}")


def choose(page: Any, fieldset: str, index: int, checkbox: bool) -> None:
    """Select choice ``index`` of a question with the keyboard alone."""
    target = f"{fieldset} input[value='{index}']"
    if checkbox:
        tab_to(page, target)
        page.keyboard.press("Space")
        return
    # A radio group is one Tab stop; the arrow keys move within it. Space selects.
    tab_to(page, f"{fieldset} input[type=radio]")
    for _ in range(12):
        if page.evaluate("(s) => document.activeElement.matches(s)", target):
            break
        page.keyboard.press("ArrowDown")
    assert page.evaluate("(s) => document.activeElement.matches(s)", target)
    page.keyboard.press("Space")


def answer_by_keyboard(page: Any, fs_id: str, q: Question, correct: bool = True) -> None:
    fieldset = f"#{fs_id}"
    if q.type == "text":
        tab_to(page, f"{fieldset} input[type=text]")
        text = q.answers[0] if q.answers and correct else "A comment typed with the keyboard."
        page.keyboard.type(text)
        return
    chosen = picks(q, correct)
    for i in chosen:
        choose(page, fieldset, i, q.type == "multiple")
    for i in range(len(q.choice_labels)):
        assert page.locator(f"{fieldset} input[value='{i}']").is_checked() == (i in chosen)


def submit_by_keyboard(page: Any, questions: dict[str, Question], correct: bool) -> list[str]:
    """Answer the shown page's questions and submit it, keyboard only; returns their ids."""
    fieldsets = [fs.get_attribute("id") for fs in
                 page.locator(f"{SHOWN} fieldset.question:not([hidden])").all()]
    for fs_id in fieldsets:
        answer_by_keyboard(page, fs_id, questions[fs_id[2:]], correct)
    if fieldsets:
        tab_to(page, f"{SHOWN} button.submit")
        page.keyboard.press("Enter")
    return fieldsets


def next_by_keyboard(page: Any) -> str:
    """Tab to Next and press Enter; returns the new page's id (focus is on its heading)."""
    before = page.locator(SHOWN).get_attribute("id")
    tab_to(page, "button.nav-next")
    page.keyboard.press("Enter")
    after = page.locator(SHOWN).get_attribute("id")
    assert after != before
    # Focus moves to the new page's heading, so a screen reader starts reading there.
    assert page.evaluate("document.activeElement.matches('section.page:not([hidden]) h1')")
    return after


def test_the_whole_course_with_the_keyboard_alone(open_course: Any):
    """Tab to each choice, Space, Tab to Submit, Enter; Next with the keyboard, to the end."""
    page = open_course(BASIC)
    questions = questions_by_id(BASIC)
    pages = 1
    while True:
        for fs_id in submit_by_keyboard(page, questions, correct=True):
            feedback = page.locator(f"#{fs_id} .q-feedback")
            assert feedback.get_attribute("role") == "status"
            assert feedback.inner_text().strip(), f"no feedback announced for {fs_id}"
        if page.locator("button.nav-next").is_disabled():
            break
        next_by_keyboard(page)
        pages += 1
    assert pages == 5
    rules = page.evaluate("Packager.rules()")
    assert rules["completed"] and rules["passed"]
    assert "completed this course" in page.locator(".notice").inner_text()
    assert page.locator(".notice").get_attribute("role") == "alert"


def test_retake_and_previous_with_the_keyboard(open_course: Any):
    """A failed assessment is retaken, and pages revisited, with the keyboard alone."""
    page = open_course(BASIC)
    questions = questions_by_id(BASIC)
    while not page.locator(SHOWN).get_attribute("id").startswith("page-02-test"):
        next_by_keyboard(page)
    first = page.locator(SHOWN).get_attribute("id")
    while True:
        submit_by_keyboard(page, questions, correct=False)
        if page.locator(f"{SHOWN} button.retake").is_visible():
            break
        next_by_keyboard(page)
    assert "did not pass" in page.locator(f"{SHOWN} .page-status").inner_text()
    tab_to(page, f"{SHOWN} button.retake")
    page.keyboard.press("Enter")
    assert page.locator(SHOWN).get_attribute("id") == first
    assert page.evaluate("document.activeElement.matches('section.page:not([hidden]) h1')")
    assert page.evaluate("Packager.state().m[1]").endswith(".2")  # the second attempt
    next_by_keyboard(page)
    tab_to(page, "button.nav-prev")
    page.keyboard.press("Enter")
    assert page.locator(SHOWN).get_attribute("id") == first
    assert page.evaluate("document.activeElement.matches('section.page:not([hidden]) h1')")


def test_focus_is_visible_on_every_kind_of_control(open_course: Any):
    page = open_course(BASIC)
    style = """() => { const s = getComputedStyle(document.activeElement);
                       return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
    tab_to(page, ".skip-link")
    assert page.locator(".skip-link").bounding_box()["x"] >= 0  # moved on screen when focused
    for selector in (".skip-link", ".exit-button", "button.nav-next"):
        tab_to(page, selector)
        outline, width = page.evaluate(style)
        assert outline != "none" and width >= 2, f"{selector}: outline {outline} {width}px"
    page.keyboard.press("Enter")
    for selector in (f"{SHOWN} input[type=radio]", f"{SHOWN} button.submit"):
        tab_to(page, selector)
        outline, width = page.evaluate(style)
        assert outline != "none" and width >= 2, f"{selector}: outline {outline} {width}px"


def test_feedback_regions_exist_before_they_speak(open_course: Any):
    """Live regions must be in the page before their text changes, or nothing is announced."""
    page = open_course(BASIC)
    for region in page.locator(".q-feedback, .page-status").all():
        assert region.get_attribute("role") == "status"
        assert region.get_attribute("aria-live") == "polite"
        assert region.inner_text() == ""
    assert page.locator(".page-count").get_attribute("aria-live") == "polite"
    page.locator("button.nav-next").click()
    page.locator(f"{SHOWN} button.submit").click()  # nothing chosen: told so, politely
    assert "Please answer" in page.locator(f"{SHOWN} .page-status").inner_text()


def test_reduced_motion_turns_transitions_off(open_course: Any):
    probe = "getComputedStyle(document.querySelector('.progress-fill')).transitionDuration"
    assert open_course(BASIC).evaluate(probe) != "0s"  # the theme does animate normally
    reduced = open_course(BASIC, reduced_motion="reduce")
    assert reduced.evaluate("matchMedia('(prefers-reduced-motion: reduce)').matches")
    assert reduced.evaluate(probe) == "0s"
    assert reduced.evaluate("""() => [...document.querySelectorAll('*')].every(e => {
        const s = getComputedStyle(e);
        return s.transitionDuration.split(',').every(d => parseFloat(d) === 0) &&
               s.animationName === 'none'; })""")


def test_page_language_comes_from_course_yaml(open_course: Any, tmp_path: Path):
    ethics = yaml.safe_load((ETHICS / "course.yaml").read_text(encoding="utf-8"))
    assert open_course(ETHICS).get_attribute("html", "lang") == ethics.get("language", "en")
    french = Path(shutil.copytree(BASIC, tmp_path / "basic-fr"))
    text = (french / "course.yaml").read_text(encoding="utf-8")
    (french / "course.yaml").write_text(text.replace("language: en", "language: fr-CA"),
                                        encoding="utf-8")
    assert open_course(french).get_attribute("html", "lang") == "fr-CA"
