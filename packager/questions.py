"""Turns one ```quiz block's YAML into a validated Question."""

from __future__ import annotations

import re
from typing import Any

from packager.diagnostics import Diagnostics, Location, nearest
from packager.markdown import Markdown
from packager.model import QUESTION_TYPES, Choice, Question
from packager.yamlsrc import YList, YMap

QUESTION_KEYS = ("id", "type", "prompt", "choices", "answer", "answers", "scale", "feedback",
                 "points", "graded")
CHOICE_KEYS = ("text", "correct", "feedback")
FEEDBACK_KEYS = ("correct", "incorrect")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MAX_CHOICES = 26  # choice identifiers are a-z in SCORM 1.2 interaction responses


def check_keys(data: YMap, allowed: tuple[str, ...], what: str, diags: Diagnostics) -> None:
    """Unknown keys are errors, with the nearest valid key as a hint."""
    for key in data:
        if key not in allowed:
            hint = nearest(key, allowed) or f"valid keys: {', '.join(allowed)}"
            diags.error(data.key_loc(key), f"unknown key '{key}' in {what}", hint)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value).strip()
    return None


def parse_question(data: Any, loc: Location, module_id: str, module_kind: str, md: Markdown,
                   diags: Diagnostics) -> Question | None:
    """Validate a question mapping; report every problem; None when it cannot be used."""
    if not isinstance(data, YMap):
        diags.error(loc, "a quiz block must hold a YAML mapping (id, type, prompt, ...)")
        return None
    start = len(diags.errors)
    check_keys(data, QUESTION_KEYS, "question", diags)

    qid = data.get("id")
    if qid is None:
        diags.error(data.loc, "question has no 'id'", "add a unique id such as 'conf-1'")
        qid = ""
    elif not isinstance(qid, str) or not ID_RE.match(qid):
        diags.error(data.value_loc("id"), f"invalid question id '{qid}'",
                    "use letters, digits, '-', '_' or '.', starting with a letter or digit")
        qid = str(qid)

    qtype = data.get("type")
    if qtype is None:
        diags.error(data.loc, "question has no 'type'", f"one of: {', '.join(QUESTION_TYPES)}")
    elif qtype not in QUESTION_TYPES:
        hint = nearest(str(qtype), QUESTION_TYPES) or ""
        diags.error(data.value_loc("type"), f"unknown question type '{qtype}'",
                    f"{hint} valid types: {', '.join(QUESTION_TYPES)}".strip())
        qtype = None

    prompt = _text(data.get("prompt"))
    if not prompt:
        diags.error(data.value_loc("prompt") if "prompt" in data else data.loc,
                    "question has no 'prompt'", "write the question as 'prompt: ...'")
        prompt = ""

    graded_default = module_kind == "assessment"
    graded = data.get("graded", graded_default)
    if not isinstance(graded, bool):
        diags.error(data.value_loc("graded"), "'graded' must be true or false")
        graded = graded_default
    if qtype == "likert" and graded is True and "graded" in data:
        diags.error(data.value_loc("graded"), "a likert question cannot be graded")
    if module_kind == "evaluation" and graded is True and "graded" in data:
        diags.error(data.value_loc("graded"), "questions in an evaluation module are not graded",
                    "remove 'graded: true' or move the question to an assessment module")
    if qtype == "likert" and module_kind != "evaluation":
        diags.error(data.value_loc("type"), "likert questions belong in evaluation modules",
                    "set 'kind: evaluation' in the module's front matter")
    if qtype == "likert" or module_kind == "evaluation":
        graded = False

    points = data.get("points", 1)
    if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
        diags.error(data.value_loc("points"), "'points' must be a positive number")
        points = 1

    choices = _parse_choices(data, qtype, md, diags)
    answer = None
    if qtype == "true-false":
        answer = data.get("answer")
        if "answer" not in data:
            diags.error(data.loc, "a true-false question needs 'answer: true' or 'answer: false'")
        elif not isinstance(answer, bool):
            diags.error(data.value_loc("answer"), "'answer' must be true or false")
    elif "answer" in data:
        diags.error(data.key_loc("answer"), "'answer' is only for true-false questions",
                    "text questions use 'answers:' (a list)" if qtype == "text" else None)

    answers: tuple[str, ...] = ()
    if qtype == "text":
        raw = data.get("answers")
        if raw is None:
            if graded:
                diags.error(data.loc, "a graded text question needs 'answers:' (accepted answers)",
                            "or set 'graded: false' for free text")
        elif not isinstance(raw, list) or not raw or not all(_text(a) for a in raw):
            diags.error(data.value_loc("answers"), "'answers' must be a list of accepted strings")
        else:
            answers = tuple(_text(a) or "" for a in raw)
    elif "answers" in data:
        diags.error(data.key_loc("answers"), "'answers' is only for text questions")

    scale: tuple[str, ...] = ()
    if qtype == "likert":
        raw = data.get("scale")
        if not isinstance(raw, list) or len(raw) < 2 or not all(_text(s) for s in raw):
            diags.error(data.value_loc("scale") if "scale" in data else data.loc,
                        "a likert question needs 'scale:' with at least two labels",
                        "e.g. scale: [Strongly disagree, Disagree, Neutral, Agree, Strongly agree]")
        else:
            scale = tuple(_text(s) or "" for s in raw)
            if len(scale) > MAX_CHOICES:
                diags.error(data.value_loc("scale"), f"at most {MAX_CHOICES} scale points")
    elif "scale" in data:
        diags.error(data.key_loc("scale"), "'scale' is only for likert questions")

    fb_correct = fb_incorrect = None
    feedback = data.get("feedback")
    if feedback is not None:
        if isinstance(feedback, YMap):
            check_keys(feedback, FEEDBACK_KEYS, "question feedback", diags)
            fc, fi = _text(feedback.get("correct")), _text(feedback.get("incorrect"))
            fb_correct = md.render_inline(fc) if fc else None
            fb_incorrect = md.render_inline(fi) if fi else None
        else:
            diags.error(data.value_loc("feedback"),
                        "question 'feedback' must be a mapping with 'correct' and 'incorrect'")

    if len(diags.errors) > start or not qtype:
        return None
    return Question(
        id=qid, type=qtype, prompt_html=md.render_inline(prompt), prompt_text=prompt, loc=loc,
        module_id=module_id, graded=graded, points=float(points), choices=choices,
        answer=answer if isinstance(answer, bool) else None, answers=answers, scale=scale,
        feedback_correct_html=fb_correct, feedback_incorrect_html=fb_incorrect,
    )


def _parse_choices(data: YMap, qtype: str | None, md: Markdown,
                   diags: Diagnostics) -> tuple[Choice, ...]:
    raw = data.get("choices")
    if qtype not in ("single", "multiple"):
        if raw is not None and qtype is not None:
            hint = "true-false uses 'answer:'" if qtype == "true-false" else None
            diags.error(data.key_loc("choices"), f"a {qtype} question takes no 'choices'", hint)
        return ()
    if not isinstance(raw, YList) or len(raw) < 2:
        diags.error(data.value_loc("choices") if "choices" in data else data.loc,
                    f"a {qtype} question needs 'choices:' with at least two entries")
        return ()
    if len(raw) > MAX_CHOICES:
        diags.error(data.value_loc("choices"), f"at most {MAX_CHOICES} choices")
    choices = []
    for i, item in enumerate(raw):
        loc = raw.item_loc(i)
        if isinstance(item, str):  # a bare string is a wrong choice without feedback
            item = YMap(text=item)
            item.loc, item.key_locs, item.value_locs = loc, {}, {}
        if not isinstance(item, YMap):
            diags.error(loc, "a choice must be a mapping with 'text' (and 'correct', 'feedback')")
            continue
        check_keys(item, CHOICE_KEYS, "choice", diags)
        text = _text(item.get("text"))
        if not text:
            diags.error(loc, "a choice needs 'text'")
            continue
        correct = item.get("correct", False)
        if not isinstance(correct, bool):
            diags.error(item.value_loc("correct"), "'correct' must be true or false")
            correct = False
        fb = _text(item.get("feedback"))
        choices.append(Choice(text=text, html=md.render_inline(text), correct=correct,
                              feedback_html=md.render_inline(fb) if fb else None))
    n_correct = sum(c.correct for c in choices)
    if qtype == "single" and len(choices) == len(raw) and n_correct != 1:
        diags.error(data.value_loc("choices"),
                    f"a single question needs exactly one correct choice (found {n_correct})",
                    "mark one choice 'correct: true', or use type: multiple")
    if qtype == "multiple" and len(choices) == len(raw) and n_correct == 0:
        diags.error(data.value_loc("choices"), "a multiple question needs at least one correct "
                    "choice", "mark the right choices with 'correct: true'")
    return tuple(choices)
