"""The LTI target: a course bundle the LTI 1.3 tool server serves and grades on the server."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, ClassVar

from packager import __version__
from packager.answerkey import canonical_responses, text_limit
from packager.model import Course, Module
from packager.render import RenderedCourse, render_course, render_shell
from packager.targets.base import BuildContext, Target
from packager.zipwriter import Entry

BUNDLE_FORMAT = 1
COURSE_DOC = "index.html"


def module_doc(module_id: str) -> str:
    """Where a one-module launch's course document lives inside the bundle."""
    return f"modules/{module_id}/index.html"


def module_course(course: Course, module: Module) -> Course:
    """A course made of one module, with completion rules that module can meet alone."""
    rules = ["pages"]
    if module.graded_questions:
        rules.append("passed")
    if module.kind == "evaluation":
        rules.append("evaluation")
    return replace(course, modules=(module,), completion=tuple(rules), min_minutes=0)


def strip_key(data: dict[str, Any]) -> dict[str, Any]:
    """Course data without the hashed key: the browser never holds anything to check against."""
    out = dict(data)
    out["questions"] = [dict(q, key=[]) for q in data["questions"]]
    out["salt"] = ""
    return out


def answer_key(course: Course) -> dict[str, Any]:
    """Plain correct responses per question id, in the runtime's canonical form (server only)."""
    return {
        q.id: {"type": q.type, "graded": q.graded, "points": q.points,
               "correct": canonical_responses(q), "free": q.is_free_text,
               "max": text_limit(q) if q.type == "text" else 0,
               "choices": len(q.choice_labels)}
        for q in course.questions
    }


class LtiTarget(Target):
    """A zip for ``packager lti serve``: course documents, metadata and a server-side key."""

    name = "lti"
    adapter = "lti"
    description = "LTI 1.3 bundle for `packager lti serve` (graded on the server)"
    # Read by the server only; never served to a browser (see the behaviour suite).
    server_side_files: ClassVar[tuple[str, ...]] = ("answerkey.json",)

    def _document(self, ctx: BuildContext, course: Course,
                  rendered: RenderedCourse) -> tuple[bytes, dict[str, Any]]:
        data = strip_key(rendered.data)
        shell = render_shell(course, RenderedCourse(rendered.pages_html, data), ctx.env,
                             self.adapter, self.runtime_config(ctx), self.shell_extra(ctx))
        return shell.encode("utf-8"), data

    def documents(self, ctx: BuildContext) -> dict[str, tuple[bytes, dict[str, Any]]]:
        """The whole course, then one document per module (for module launches)."""
        docs = {COURSE_DOC: self._document(ctx, ctx.course, ctx.rendered)}
        for module in ctx.course.modules:
            sub = module_course(ctx.course, module)
            docs[module_doc(module.id)] = self._document(ctx, sub, render_course(sub, ctx.env))
        return docs

    def entries(self, ctx: BuildContext) -> list[Entry]:
        docs = self.documents(ctx)
        # The base's index.html holds the hashed key: ship runtime and assets, not that.
        base = [e for e in self.content_entries(ctx) if e.name != COURSE_DOC]
        return [Entry(name, html) for name, (html, _) in docs.items()] + base + [
            Entry("course.json", _json(self.metadata(ctx.course, docs))),
            Entry("answerkey.json", _json(answer_key(ctx.course))),
        ]

    def metadata(self, course: Course,
                 docs: dict[str, tuple[bytes, dict[str, Any]]]) -> dict[str, Any]:
        """course.json: what the server lists, launches and grades against."""
        return {
            "format": BUNDLE_FORMAT, "packager": __version__, "id": course.id,
            "version": course.version, "title": course.title,
            "description": course.description, "language": course.language,
            "modules": [{"id": m.id, "title": m.title, "kind": m.kind,
                         "document": module_doc(m.id),
                         "graded": len(m.graded_questions)} for m in course.modules],
            "documents": {name: data for name, (_, data) in docs.items()},
        }


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")
