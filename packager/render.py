"""Renders a Course once into page HTML and the runtime's data; every target reuses it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from packager import __version__
from packager.answerkey import course_salt, key_for, text_limit
from packager.model import Course

RUNTIME_DIR = Path(__file__).parent / "runtime"


@dataclass(frozen=True)
class RenderedCourse:
    """What every HTML-based target shares: page bodies and the runtime's data."""

    pages_html: tuple[str, ...]
    data: dict[str, Any]

    @property
    def data_json(self) -> str:
        return script_json(self.data)


def course_data(course: Course) -> dict[str, Any]:
    """The data runtime/core.js reads: structure, rules and the hashed answer key."""
    salt = course_salt(course)
    page_index = {p.id: i for i, p in enumerate(course.pages)}
    modules = []
    for module in course.modules:
        first = page_index[module.pages[0].id] if module.pages else 0
        modules.append({
            "id": module.id, "title": module.title, "kind": module.kind,
            "pool": module.pool, "shuffle": module.shuffle, "attempts": module.attempts,
            "first": first, "last": first + len(module.pages) - 1, "minutes": module.minutes,
        })
    module_index = {m.id: i for i, m in enumerate(course.modules)}
    questions = []
    for page in course.pages:
        for q in page.questions:
            questions.append({
                "id": q.id, "type": q.type, "module": module_index[q.module_id],
                "page": page_index[page.id], "graded": q.graded, "points": q.points,
                "labels": list(q.choice_labels), "key": key_for(salt, q),
                "free": q.is_free_text, "max": text_limit(q) if q.type == "text" else 0,
                "prompt": q.prompt_text[:250],
            })
    pages = [{"id": p.id, "title": p.title, "module": module_index[p.module_id]}
             for p in course.pages]
    return {
        "format": 1, "id": course.id, "version": course.version, "title": course.title,
        "lang": course.language, "passingScore": course.passing_score,
        "minMinutes": course.min_minutes, "completion": list(course.completion),
        "ce": {"hours": course.ce.hours, "provider": course.ce.provider,
               "approval": course.ce.approval, "attestation": course.ce.attestation},
        "salt": salt, "pages": pages, "modules": modules, "questions": questions,
    }


def render_course(course: Course, env: jinja2.Environment) -> RenderedCourse:
    """Render every page once."""
    data = course_data(course)
    # The runtime's question numbers, as the data lists them (page order).
    question_index = {q["id"]: i for i, q in enumerate(data["questions"])}
    page_template = env.get_template("page.html")
    pages_html = tuple(
        page_template.render(course=course, page=page, index=i, question_index=question_index,
                             text_limit=text_limit)
        for i, page in enumerate(course.pages)
    )
    return RenderedCourse(pages_html=pages_html, data=data)


def script_json(data: Any) -> str:
    """JSON safe to embed in a <script> element ("</" can never close it early)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("</", "<\\/")


def render_shell(course: Course, rendered: RenderedCourse, env: jinja2.Environment,
                 adapter: str, config: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None) -> str:
    """The course document for one runtime adapter (web, scorm12, scorm2004, ...).

    ``config`` is the target's runtime configuration (e.g. a SCORM 1.2 reporting profile),
    read by core.js as ``Packager.config``.
    """
    return env.get_template("course.html").render(
        course=course, pages_html=rendered.pages_html, course_data=rendered.data_json,
        runtime_config=script_json(config or {}), adapter=adapter, adapter_name=adapter,
        packager_version=__version__, **(extra or {}),
    )
