"""cmi5: the course as one AU (or one per module) described by a cmi5.xml course structure."""

from __future__ import annotations

import re
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml import etree

from packager.diagnostics import Diagnostic, UsageError
from packager.model import Course, Module
from packager.targets.base import BuildContext, Target
from packager.zipwriter import Entry

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
STRUCTURE_NAME = "cmi5.xml"
DEFAULT_IRI_BASE = "https://packager.example/courses/"
AU_LAYOUTS = ("single", "per-module")
MOVE_ON = ("NotApplicable", "Passed", "Completed", "CompletedAndPassed", "CompletedOrPassed")
LAUNCH_METHODS = ("AnyWindow", "OwnWindow")
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


def _sub(parent: etree._Element, local: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(local))
    for key, value in attrs.items():
        el.set(key, value)
    if text is not None:
        el.text = text
    return el


def _langstrings(parent: etree._Element, local: str, text: str, lang: str) -> None:
    """A title or description: one langstring (cmi5 requires at least one)."""
    holder = _sub(parent, local)
    _sub(holder, "langstring", text, lang=lang)


def move_on(course: Course, graded: bool) -> str:
    """cmi5 moveOn from the completion rules: what the LMS waits for before moving on."""
    if graded and "passed" in course.completion:
        # The runtime completes only once every rule holds, "passed" included.
        return "CompletedAndPassed"
    return "Completed"


def mastery_score(course: Course) -> str:
    """The passing score as the scaled decimal cmi5 uses (80 -> 0.8)."""
    return format(round(course.passing_score / 100, 4), "g")


class Cmi5Target(Target):
    """cmi5 package: the runtime's cmi5 adapter talks xAPI to the LRS the LMS launches it with."""

    name = "cmi5"
    adapter = "cmi5"
    description = "cmi5 package (xAPI statements to the LMS's LRS)"
    launch_method: ClassVar[str] = "AnyWindow"

    # -- options ---------------------------------------------------------------------

    def layout(self, ctx: BuildContext) -> str:
        value = ctx.options.get("au") or "single"
        if value not in AU_LAYOUTS:
            raise UsageError(f"--au must be one of {', '.join(AU_LAYOUTS)}, not '{value}'")
        return value

    def iri_base(self, ctx: BuildContext) -> str:
        """The base every IRI in the package hangs from; it must stay the same across versions."""
        value = str(ctx.options.get("iri_base") or DEFAULT_IRI_BASE)
        parts = urlsplit(value)
        if not _IRI.match(value) or not parts.scheme or not (parts.netloc or parts.path):
            raise UsageError(f"--iri-base must be an absolute IRI such as {DEFAULT_IRI_BASE}, "
                             f"not '{value}'")
        return value if value.endswith(("/", "#", ":")) else value + "/"

    # -- stable IRIs: from the base and the course and module ids only, never the version --

    def course_iri(self, ctx: BuildContext) -> str:
        return f"{self.iri_base(ctx)}{ctx.course.id}"

    def au_iri(self, ctx: BuildContext, module: Module | None) -> str:
        base = self.course_iri(ctx)
        return f"{base}/au" if module is None else f"{base}/modules/{module.id}"

    def objective_iri(self, ctx: BuildContext, module: Module, index: int) -> str:
        return f"{self.course_iri(ctx)}/modules/{module.id}/objectives/{index + 1}"

    def question_iri_base(self, ctx: BuildContext) -> str:
        return f"{self.course_iri(ctx)}/questions/"

    def runtime_config(self, ctx: BuildContext) -> dict[str, Any]:
        return {**super().runtime_config(ctx), "au": self.layout(ctx),
                "courseIri": self.course_iri(ctx),
                "questionIri": self.question_iri_base(ctx)}

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        """Options are usage errors; the structure must follow the spec's rules."""
        self.layout(ctx)
        self.iri_base(ctx)
        root = self.course_structure(ctx)
        return [Diagnostic("error", f"cmi5.xml: {p}", ctx.course.loc)
                for p in structure_problems(root)]

    # -- the course structure ----------------------------------------------------------

    def extra_entries(self, ctx: BuildContext, content: list[Entry]) -> list[Entry]:
        data = etree.tostring(self.course_structure(ctx), xml_declaration=True,
                              encoding="UTF-8", pretty_print=True)
        return [Entry(STRUCTURE_NAME, data)]

    def course_structure(self, ctx: BuildContext) -> etree._Element:
        """The whole cmi5.xml: course, objectives, then one AU or a block of AUs."""
        course = ctx.course
        lang = course.language
        root = etree.Element(_q("courseStructure"), nsmap={None: NS})
        head = _sub(root, "course", id=self.course_iri(ctx))
        _langstrings(head, "title", course.title, lang)
        _langstrings(head, "description", course.description or course.title, lang)
        modules_with_objectives = [m for m in course.modules if m.objectives]
        if modules_with_objectives:
            objectives = _sub(root, "objectives")
            for module in modules_with_objectives:
                for i, text in enumerate(module.objectives):
                    obj = _sub(objectives, "objective", id=self.objective_iri(ctx, module, i))
                    _langstrings(obj, "title", text, lang)
                    _langstrings(obj, "description", f"{module.title}: {text}", lang)
        if self.layout(ctx) == "single":
            self.au(ctx, root, None)
        else:
            block = _sub(root, "block", id=f"{self.course_iri(ctx)}/modules")
            _langstrings(block, "title", course.title, lang)
            _langstrings(block, "description", "One assignable unit per module.", lang)
            for module in course.modules:
                self.au(ctx, block, module)
        return root

    def au(self, ctx: BuildContext, parent: etree._Element,
           module: Module | None) -> etree._Element:
        """One assignable unit: the whole course, or one module (``index.html?sco=<id>``)."""
        course = ctx.course
        graded = bool(module.graded_questions if module else course.graded_questions)
        attrs = {"id": self.au_iri(ctx, module), "moveOn": move_on(course, graded),
                 "launchMethod": self.launch_method}
        if graded:
            attrs["masteryScore"] = mastery_score(course)
        el = _sub(parent, "au", **attrs)
        title = course.title if module is None else module.title
        description = course.description or course.title
        if module is not None:
            description = f"{course.title}: {module.title}"
        _langstrings(el, "title", title, course.language)
        _langstrings(el, "description", description, course.language)
        modules = course.modules if module is None else (module,)
        refs = [self.objective_iri(ctx, m, i) for m in modules for i in range(len(m.objectives))]
        if refs:
            objectives = _sub(el, "objectives")
            for ref in refs:
                _sub(objectives, "objective", idref=ref)
        _sub(el, "url", "index.html" if module is None else f"index.html?sco={module.id}")
        return el


def structure_problems(root: etree._Element) -> list[str]:
    """The cmi5 course-structure rules (spec section 13) checked without the XSD."""
    problems: list[str] = []
    if root.tag != _q("courseStructure"):
        return [f"root element must be courseStructure in {NS}, not {root.tag}"]
    children = [c for c in root if isinstance(c.tag, str)]
    names = [etree.QName(c).localname for c in children]
    if not names or names[0] != "course":
        problems.append("the first child must be <course>")
    if names.count("course") != 1:
        problems.append("there must be exactly one <course>")
    if names.count("objectives") > 1 or ("objectives" in names and names.index("objectives") != 1):
        problems.append("<objectives> may appear once, right after <course>")
    if not any(n in ("au", "block") for n in names):
        problems.append("at least one <au> or <block> is required")
    ids: dict[str, str] = {}
    objective_ids = set()

    def need_iri(el: etree._Element, attr: str) -> str | None:
        value = el.get(attr)
        where = f"<{etree.QName(el).localname}>"
        if not value:
            problems.append(f"{where} needs an {attr} attribute")
        elif not _IRI.match(value):
            problems.append(f"{where} {attr}='{value}' is not an absolute IRI")
        return value

    def need_text(el: etree._Element, local: str) -> None:
        holder = el.find(_q(local))
        strings = [] if holder is None else holder.findall(_q("langstring"))
        if not strings or not all((s.text or "").strip() for s in strings):
            problems.append(f"<{etree.QName(el).localname} id='{el.get('id')}'> needs a "
                            f"<{local}> with a non-empty langstring")

    for el in root.iter(_q("course"), _q("block"), _q("au"), _q("objective")):
        local = etree.QName(el).localname
        if local == "objective" and el.getparent() is not None and \
                el.getparent().getparent() is not root:
            continue  # an AU's or block's reference, checked below
        value = need_iri(el, "id")
        if value:
            if value in ids:
                problems.append(f"id '{value}' is used by a {ids[value]} and a {local}")
            ids[value] = local
            if local == "objective":
                objective_ids.add(value)
        need_text(el, "title")
        need_text(el, "description")
    for au in root.iter(_q("au")):
        au_id = au.get("id")
        if au.get("moveOn", "NotApplicable") not in MOVE_ON:
            problems.append(f"au '{au_id}': moveOn='{au.get('moveOn')}' is not one of "
                            f"{', '.join(MOVE_ON)}")
        if au.get("launchMethod", "AnyWindow") not in LAUNCH_METHODS:
            problems.append(f"au '{au_id}': launchMethod must be AnyWindow or OwnWindow")
        score = au.get("masteryScore")
        if score is not None:
            try:
                ok = 0 <= float(score) <= 1
            except ValueError:
                ok = False
            if not ok:
                problems.append(f"au '{au_id}': masteryScore '{score}' is not a decimal in 0..1")
        url = au.find(_q("url"))
        if url is None or not (url.text or "").strip():
            problems.append(f"au '{au_id}' needs a <url>")
        for ref in au.iter(_q("objective")):
            if ref.get("idref") not in objective_ids:
                problems.append(f"au '{au_id}' refers to an unknown objective "
                                f"'{ref.get('idref')}'")
        order = [etree.QName(c).localname for c in au if isinstance(c.tag, str)]
        expected = [n for n in ("title", "description", "objectives", "url", "launchParameters",
                                "entitlementKey") if n in order]
        if order != expected:
            problems.append(f"au '{au_id}': children must come in the order "
                            f"{', '.join(expected)}")
    return problems
