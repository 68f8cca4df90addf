"""SCORM 2004 4th Edition: IMS CP 1.1.4 manifest with LOM metadata and simple sequencing."""

from __future__ import annotations

from lxml import etree

from packager.model import Course, Module
from packager.targets._scorm_base import XSI, ScormTarget, ce_text, iso_duration, xml_id
from packager.targets.base import BuildContext

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
ADLCP = "http://www.adlnet.org/xsd/adlcp_v1p3"
ADLSEQ = "http://www.adlnet.org/xsd/adlseq_v1p3"
ADLNAV = "http://www.adlnet.org/xsd/adlnav_v1p3"
IMSSS = "http://www.imsglobal.org/xsd/imsss"
LOM = "http://ltsc.ieee.org/xsd/LOM"
GATE = "packager:gate"  # a local objective id no module id can take (module ids have no colon)


class Scorm2004Target(ScormTarget):
    """SCORM 2004 4th Edition; per-module packages gate the post-test with sequencing."""

    name = "scorm2004"
    adapter = "scorm2004"
    description = "SCORM 2004 4th Edition package"
    schemaversion = "2004 4th Edition"
    nsmap = {None: CP, "adlcp": ADLCP, "adlseq": ADLSEQ, "adlnav": ADLNAV, "imsss": IMSSS,
             "lom": LOM, "xsi": XSI}
    schema_locations = ((CP, "imscp_v1p1.xsd"), (ADLCP, "adlcp_v1p3.xsd"),
                        (ADLSEQ, "adlseq_v1p3.xsd"), (ADLNAV, "adlnav_v1p3.xsd"),
                        (IMSSS, "imsss_v1p0.xsd"), (LOM, "lom.xsd"))
    scorm_type_attr = f"{{{ADLCP}}}scormType"

    # -- metadata ------------------------------------------------------------------------

    def course_metadata(self, meta: etree._Element, course: Course) -> None:
        lom = self.sub(meta, "lom", "lom")
        general = self.sub(lom, "lom", "general")
        ident = self.sub(general, "lom", "identifier")
        self.sub(ident, "lom", "catalog", "URI")
        self.sub(ident, "lom", "entry", f"urn:packager:{course.id}:{course.version}")
        self._langstring(self.sub(general, "lom", "title"), course.title, course.language)
        self.sub(general, "lom", "language", course.language)
        for text in (course.description, ce_text(course)):
            if text:
                self._langstring(self.sub(general, "lom", "description"), text,
                                 course.language)
        lifecycle = self.sub(lom, "lom", "lifeCycle")
        self._langstring(self.sub(lifecycle, "lom", "version"), course.version,
                         course.language)
        if course.minutes:
            educational = self.sub(lom, "lom", "educational")
            ltime = self.sub(educational, "lom", "typicalLearningTime")
            self.sub(ltime, "lom", "duration", iso_duration(course.minutes))

    def _langstring(self, parent: etree._Element, text: str, lang: str) -> None:
        self.sub(parent, "lom", "string", text, language=lang)

    # -- sequencing ----------------------------------------------------------------------

    def objective_id(self, course: Course, what: str) -> str:
        """A global objective's ID: scoped to the course, and to one attempt by the org."""
        return f"urn:packager:{course.id}:{what}"

    def item_extras(self, ctx: BuildContext, item: etree._Element,
                    module: Module | None) -> None:
        # children in the order imsss:sequencing requires: rules, rollup, objectives, delivery
        seq = self.sub(item, "imsss", "sequencing")
        if module is not None and module.kind != "lesson":
            self._gate(ctx, seq, module)
        if module is not None and module.kind == "evaluation":
            # a survey has no pass mark: it never decides the course's success
            self.sub(seq, "imsss", "rollupRules", rollupObjectiveSatisfied="false",
                     rollupProgressCompletion="true" if "evaluation" in ctx.course.completion
                     else "false")
        self._primary_objective(ctx, seq, module)
        # the runtime, not the LMS, decides completion and success from the course rules
        self.sub(seq, "imsss", "deliveryControls", completionSetByContent="true",
                 objectiveSetByContent="true")

    def _primary_objective(self, ctx: BuildContext, seq: etree._Element,
                           module: Module | None) -> None:
        course = ctx.course
        graded = module is None or module.kind == "assessment"
        objectives = None
        if graded:
            objectives = self.sub(seq, "imsss", "objectives")
            primary = self.sub(objectives, "imsss", "primaryObjective",
                               objectiveID=self._local_objective(module, course))
            if self.mastery(ctx):
                # lets the LMS judge success from the score: only on request
                primary.set("satisfiedByMeasure", "true")
                self.sub(primary, "imsss", "minNormalizedMeasure",
                         f"{course.passing_score / 100:.4g}")
            if module is not None:
                self.sub(primary, "imsss", "mapInfo",
                         targetObjectiveID=self.objective_id(course, "passed"),
                         readSatisfiedStatus="false", readNormalizedMeasure="false",
                         writeSatisfiedStatus="true")
        waits_for = self._waits_for(ctx, module)
        if waits_for:
            if objectives is None:
                objectives = self.sub(seq, "imsss", "objectives")
                self.sub(objectives, "imsss", "primaryObjective",
                         objectiveID=self._local_objective(module, course))
            gate = self.sub(objectives, "imsss", "objective", objectiveID=GATE)
            self.sub(gate, "imsss", "mapInfo",
                     targetObjectiveID=self.objective_id(course, waits_for),
                     readSatisfiedStatus="true", readNormalizedMeasure="false")

    def _local_objective(self, module: Module | None, course: Course) -> str:
        # A module's SCO reports cmi.objectives under the module id, so its primary
        # objective shares that id; the course's has one no module id can take (a colon).
        return module.id if module is not None else self.objective_id(course, "course")

    def _waits_for(self, ctx: BuildContext, module: Module | None) -> str | None:
        """The global a module waits for: the lessons, or for the evaluation a passed test."""
        if module is None or module.kind == "lesson" or module in self._before_lessons(ctx.course):
            return None
        has_test = any(m.kind == "assessment" for m in ctx.course.modules)
        if module.kind == "evaluation" and has_test:
            return "passed"
        return "lessons" if self._lessons(ctx.course) else None

    def _gate(self, ctx: BuildContext, seq: etree._Element, module: Module) -> None:
        if not self._waits_for(ctx, module):
            return
        rules = self.sub(seq, "imsss", "sequencingRules")
        for action in ("hiddenFromChoice", "disabled"):
            rule = self.sub(rules, "imsss", "preConditionRule")
            conds = self.sub(rule, "imsss", "ruleConditions", conditionCombination="any")
            # "not satisfied" is unknown while the status is unknown, hence the second test
            self.sub(conds, "imsss", "ruleCondition", referencedObjective=GATE,
                     operator="not", condition="satisfied")
            self.sub(conds, "imsss", "ruleCondition", referencedObjective=GATE,
                     operator="not", condition="objectiveStatusKnown")
            self.sub(rule, "imsss", "ruleAction", action=action)

    def _lessons(self, course: Course) -> list[Module]:
        return [m for m in course.modules if m.kind == "lesson"]

    def module_items(self, ctx: BuildContext, org: etree._Element) -> None:
        """Lessons grouped in one cluster (in order), then the post-test and evaluation."""
        course = ctx.course
        lessons = self._lessons(course)
        before = self._before_lessons(course)
        for module in before:  # e.g. a pre-test: kept first, and open from the start
            self.module_item(ctx, org, module)
        if lessons:
            cluster = self.cp(org, "item", identifier=xml_id("LESSONS", course.id))
            self.cp(cluster, "title", "Lessons")
            for module in lessons:
                self.module_item(ctx, cluster, module)
            self._lessons_sequencing(ctx, cluster)
        for module in course.modules:
            if module.kind != "lesson" and module not in before:
                self.module_item(ctx, org, module)

    def _before_lessons(self, course: Course) -> list[Module]:
        lessons = self._lessons(course)
        if not lessons:
            return []
        return list(course.modules[:course.modules.index(lessons[0])])

    def _lessons_sequencing(self, ctx: BuildContext, cluster: etree._Element) -> None:
        """In order; the cluster counts as satisfied once every lesson is completed."""
        seq = self.sub(cluster, "imsss", "sequencing")
        self.sub(seq, "imsss", "controlMode", choice="true", flow="true")
        rollup = self.sub(seq, "imsss", "rollupRules", rollupObjectiveSatisfied="false")
        rollup.set("rollupProgressCompletion", "true" if "pages" in ctx.course.completion
                   else "false")
        rule = self.sub(rollup, "imsss", "rollupRule", childActivitySet="all")
        conds = self.sub(rule, "imsss", "rollupConditions")
        self.sub(conds, "imsss", "rollupCondition", condition="completed")
        self.sub(rule, "imsss", "rollupAction", action="satisfied")
        objectives = self.sub(seq, "imsss", "objectives")
        primary = self.sub(objectives, "imsss", "primaryObjective", objectiveID="lessons")
        self.sub(primary, "imsss", "mapInfo",
                 targetObjectiveID=self.objective_id(ctx.course, "lessons"),
                 readSatisfiedStatus="false", readNormalizedMeasure="false",
                 writeSatisfiedStatus="true")
        # choice only of the lesson next to (or before) the current one: lessons in order
        self.sub(seq, "adlseq", "constrainedChoiceConsiderations", constrainChoice="true")

    def organization_extras(self, ctx: BuildContext, org: etree._Element) -> None:
        if self.layout(ctx) != "single":
            # global objectives live for this course's attempt only, never across courses
            org.set(f"{{{ADLSEQ}}}objectivesGlobalToSystem", "false")
        # flow lets a Start request deliver the first SCO: strict players otherwise wait
        # for the learner to pick it from a menu
        seq = self.sub(org, "imsss", "sequencing")
        self.sub(seq, "imsss", "controlMode", choice="true", flow="true")
