"""A learner in headless Chromium: answers what a page shows, submits, moves on."""

from __future__ import annotations

from typing import Any

from packager.model import Course


def answers_for(course: Course, right: bool = True) -> dict[str, Any]:
    """What a learner answers, by question id: a list of choice labels, or the text typed.

    Knowledge checks and the evaluation are always answered "right"; ``right`` decides the
    graded questions. Read from the model, as a learner who knows (or gets wrong) everything.
    """
    out: dict[str, Any] = {}
    for q in course.questions:
        good = right or not q.graded
        labels = q.choice_labels
        if q.type == "text":
            out[q.id] = (q.answers[0].upper() if q.answers else "Clear and useful.") if good \
                else "certainly not this"
        elif q.type == "likert":
            out[q.id] = [labels[-1]]
        elif good:
            out[q.id] = [labels[i] for i in q.correct_indexes]
        else:
            wrong = [i for i in range(len(labels)) if i not in q.correct_indexes]
            out[q.id] = [labels[wrong[0]]]
    return out


def wait_ready(page: Any) -> None:
    page.wait_for_selector("html[data-packager-ready='1']", state="attached", timeout=20000)


def current_title(page: Any) -> str:
    return page.locator("section.page:not([hidden]) h1").inner_text()


def answer_page(page: Any, answers: dict[str, Any]) -> list[str]:
    """Answer and submit the visible page's questions; returns the ids answered."""
    section = page.locator("section.page:not([hidden])")
    answered = []
    for fs in section.locator("fieldset.question:not([hidden])").all():
        qid = (fs.get_attribute("id") or "")[2:]
        if fs.locator("input").first.is_disabled():
            continue  # answered in an earlier session: graded answers are final
        answer = answers[qid]
        if isinstance(answer, str):
            fs.locator("input[type=text]").fill(answer)
        else:
            for label in answer:
                fs.get_by_label(label, exact=True).check()
        answered.append(qid)
    submit = section.locator("button.submit")
    if answered and submit.count() and submit.is_enabled():
        submit.click()
    return answered


def take_course(page: Any, answers: dict[str, Any], stop_at: str | None = None) -> list[str]:
    """Go through every page from the current one, answering as told; returns ids answered.

    With ``stop_at`` (a page title), stops when that page is shown, before answering it.
    """
    answered: list[str] = []
    while True:
        if stop_at is not None and current_title(page) == stop_at:
            return answered
        answered += answer_page(page, answers)
        nxt = page.locator("button.nav-next")
        if nxt.is_disabled():
            return answered
        nxt.click()


def drained(page: Any, timeout: float = 20000) -> None:
    """Wait until the adapter's outbox is empty (everything reached the LMS)."""
    page.wait_for_function("() => window.Packager.cmi5 && Packager.cmi5.pending() === 0",
                           timeout=timeout)
