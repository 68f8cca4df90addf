"""SCORM 1.2: IMS CP 1.1.2 manifest with IMS MD 1.2.1 metadata and the scorm12 adapter."""

from __future__ import annotations

from typing import Any

from lxml import etree

from packager.diagnostics import Diagnostic, UsageError
from packager.model import Course, Module
from packager.state import SCORM12_SUSPEND_LIMIT, worst_case_length
from packager.targets._scorm_base import PROFILES, XML_LANG, XSI, ScormTarget, ce_text
from packager.targets.base import BuildContext

CP = "http://www.imsproject.org/xsd/imscp_rootv1p1p2"
ADLCP = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
IMSMD = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"


def learning_time(minutes: float) -> str:
    """IMS MD 1.2 typicallearningtime as HH:MM:SS (the form SCORM 1.2 tools write)."""
    total = max(0, round(minutes * 60))
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


class Scorm12Target(ScormTarget):
    """SCORM 1.2, the version every LMS imports; 4,096 characters of suspend_data."""

    name = "scorm12"
    adapter = "scorm12"
    description = "SCORM 1.2 package"
    schemaversion = "1.2"
    nsmap = {None: CP, "adlcp": ADLCP, "imsmd": IMSMD, "xsi": XSI}
    schema_locations = ((CP, "imscp_rootv1p1p2.xsd"), (ADLCP, "adlcp_rootv1p2.xsd"),
                        (IMSMD, "imsmd_rootv1p2p1.xsd"))
    scorm_type_attr = f"{{{ADLCP}}}scormtype"

    def profile(self, ctx: BuildContext) -> str:
        value = ctx.options.get("profile") or PROFILES[0]
        if value not in PROFILES:
            raise UsageError(f"--profile must be one of {', '.join(PROFILES)}, not '{value}'")
        return value

    def runtime_config(self, ctx: BuildContext) -> dict[str, Any]:
        return {**super().runtime_config(ctx), "profile": self.profile(ctx)}

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        """The runtime's saved state must fit cmi.suspend_data in its worst case."""
        problems = super().check(ctx)
        self.profile(ctx)
        worst = worst_case_length(ctx.course)
        if worst <= SCORM12_SUSPEND_LIMIT:
            return problems
        return [*problems, Diagnostic(
            "error",
            f"SCORM 1.2: the saved state can reach {worst:,} characters, over the "
            f"{SCORM12_SUSPEND_LIMIT:,} that cmi.suspend_data holds; learners would lose "
            "their progress", ctx.course.loc,
            hint="use fewer questions or shorter free-text answers (max_length), or build "
                 "scorm2004, whose suspend_data holds 64,000 characters")]

    def course_metadata(self, meta: etree._Element, course: Course) -> None:
        lom = self.sub(meta, "imsmd", "lom")
        general = self.sub(lom, "imsmd", "general")
        self._langstring(self.sub(general, "imsmd", "title"), course.title, course.language)
        self.sub(general, "imsmd", "language", course.language)
        for text in (course.description, ce_text(course)):
            if text:
                self._langstring(self.sub(general, "imsmd", "description"), text,
                                 course.language)
        lifecycle = self.sub(lom, "imsmd", "lifecycle")
        self._langstring(self.sub(lifecycle, "imsmd", "version"), course.version,
                         course.language)
        if course.minutes:
            educational = self.sub(lom, "imsmd", "educational")
            ltime = self.sub(educational, "imsmd", "typicallearningtime")
            self.sub(ltime, "imsmd", "datetime", learning_time(course.minutes))

    def _langstring(self, parent: etree._Element, text: str, lang: str) -> None:
        self.sub(parent, "imsmd", "langstring", text).set(XML_LANG, lang)

    def item_extras(self, ctx: BuildContext, item: etree._Element,
                    module: Module | None) -> None:
        if module is not None:
            self._prerequisites(ctx, item, module)
        # A mastery score lets the LMS decide passed/failed itself, overriding the
        # profile the runtime reports, so it is written only on request.
        if not self.mastery(ctx) or (module is not None and module.kind != "assessment"):
            return
        self.sub(item, "adlcp", "masteryscore", f"{ctx.course.passing_score:g}")

    def _prerequisites(self, ctx: BuildContext, item: etree._Element, module: Module) -> None:
        """1.2's only ordering: the post-test after the lessons, the evaluation after it.

        An AICC-script prerequisite holds once the named items are completed or passed
        (Moodle and most 1.2 players honour it; others ignore it harmlessly).
        """
        modules = ctx.course.modules
        lessons = [m for m in modules if m.kind == "lesson"]
        tests = [m for m in modules if m.kind == "assessment"]
        if module.kind == "assessment":
            needed = lessons
        elif module.kind == "evaluation":
            needed = tests or lessons
        else:
            return
        if needed:
            script = "&".join(self.module_item_id(m) for m in needed)
            self.sub(item, "adlcp", "prerequisites", script, type="aicc_script")
