"""What SCORM 1.2 and SCORM 2004 share: the layouts, stable identifiers and the manifest frame."""

from __future__ import annotations

import math
import re
from typing import Any, ClassVar

from lxml import etree

from packager.diagnostics import Diagnostic, UsageError
from packager.model import Course, Module
from packager.targets.base import BuildContext, Target
from packager.zipwriter import Entry

LAYOUTS = ("single", "per-module")
PROFILES = ("passed-incomplete", "passed-failed", "completed-incomplete", "completed-failed")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MANIFEST_NAME = "imsmanifest.xml"
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def xml_id(*parts: str) -> str:
    """A valid XML ID (an NCName starting with a letter) built only from stable parts."""
    text = "-".join(_NOT_NAME.sub("_", p) for p in parts if p)
    return text if text[:1].isalpha() else f"ID-{text}"


def iso_duration(minutes: float) -> str:
    """Minutes as an ISO 8601 duration (PT1H30M), what LOM's typicalLearningTime expects."""
    total = max(0, math.ceil(minutes))
    hours, mins = divmod(total, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins or not hours else "")


def ce_text(course: Course) -> str | None:
    """Continuing-education credit as one sentence, for the metadata's descriptions."""
    ce = course.ce
    if ce.hours is None and not ce.provider and not ce.approval:
        return None
    parts = []
    if ce.hours is not None:
        parts.append(f"{ce.hours:g} CE hour(s)")
    if ce.provider:
        parts.append(f"provider: {ce.provider}")
    if ce.approval:
        parts.append(f"approval: {ce.approval}")
    return "Continuing education: " + "; ".join(parts)


class ScormTarget(Target):
    """Shared base: subclasses give the namespaces and fill the version-specific parts."""

    schemaversion: ClassVar[str]
    nsmap: ClassVar[dict[str | None, str]]
    schema_locations: ClassVar[tuple[tuple[str, str], ...]]

    # -- options ---------------------------------------------------------------------

    def layout(self, ctx: BuildContext) -> str:
        value = ctx.options.get("sco") or "single"
        if value not in LAYOUTS:
            raise UsageError(f"--sco must be one of {', '.join(LAYOUTS)}, not '{value}'")
        return value

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        """Refuse unknown options before any package is written."""
        self.layout(ctx)
        return []

    def mastery(self, ctx: BuildContext) -> bool:
        return bool(ctx.options.get("mastery"))

    def runtime_config(self, ctx: BuildContext) -> dict[str, Any]:
        return {**super().runtime_config(ctx), "sco": self.layout(ctx),
                "mastery": self.mastery(ctx)}

    # -- identifiers: derived from the course id and version only, so rebuilds match ----

    def manifest_id(self, course: Course) -> str:
        return xml_id("MANIFEST", course.id, course.version, self.name)

    def org_id(self, course: Course) -> str:
        return xml_id("ORG", course.id)

    # Each kind of identifier has its own prefix, so a module id can never clash with the
    # course id or with another kind.
    def course_item_id(self, course: Course) -> str:
        return xml_id("ITEM", course.id)

    def module_item_id(self, module: Module) -> str:
        return xml_id("MOD", module.id)

    def sco_resource_id(self, course: Course) -> str:
        return xml_id("RES", course.id)

    def module_resource_id(self, module: Module) -> str:
        return xml_id("RESMOD", module.id)

    def shared_resource_id(self, course: Course) -> str:
        return xml_id("SHARED", course.id)

    def module_parameters(self, module: Module) -> str:
        """The launch query the runtime reads to show one module (``?sco=<module-id>``)."""
        return f"?sco={module.id}"

    # -- the manifest ------------------------------------------------------------------

    def q(self, prefix: str | None, local: str) -> str:
        """A qualified name in one of this version's namespaces."""
        return f"{{{self.nsmap[prefix]}}}{local}"

    def cp(self, parent: etree._Element | None, local: str, text: str | None = None,
           **attrs: str) -> etree._Element:
        """Add an element in the content-packaging namespace."""
        return self.sub(parent, None, local, text, **attrs)

    def sub(self, parent: etree._Element | None, prefix: str | None, local: str,
            text: str | None = None, **attrs: str) -> etree._Element:
        tag = self.q(prefix, local)
        el = (etree.Element(tag, nsmap=self.nsmap) if parent is None
              else etree.SubElement(parent, tag))
        for key, value in attrs.items():
            el.set(key, value)
        if text is not None:
            el.text = text
        return el

    def extra_entries(self, ctx: BuildContext, content: list[Entry]) -> list[Entry]:
        files = sorted(e.name for e in content)
        tree = self.manifest(ctx, files)
        data = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        return [Entry(MANIFEST_NAME, data)]

    def manifest(self, ctx: BuildContext, files: list[str]) -> etree._Element:
        """The whole imsmanifest.xml for this course and layout."""
        course = ctx.course
        root = self.cp(None, "manifest", identifier=self.manifest_id(course),
                       version=course.version)
        root.set(f"{{{XSI}}}schemaLocation",
                 " ".join(f"{ns} {loc}" for ns, loc in self.schema_locations))
        meta = self.cp(root, "metadata")
        self.cp(meta, "schema", "ADL SCORM")
        self.cp(meta, "schemaversion", self.schemaversion)
        self.course_metadata(meta, course)
        orgs = self.cp(root, "organizations", default=self.org_id(course))
        org = self.cp(orgs, "organization", identifier=self.org_id(course))
        self.cp(org, "title", course.title)
        resources = self.cp(root, "resources")
        if self.layout(ctx) == "single":
            item = self.cp(org, "item", identifier=self.course_item_id(course),
                           identifierref=self.sco_resource_id(course))
            self.cp(item, "title", course.title)
            self.item_extras(ctx, item, None)
            self.resource(resources, self.sco_resource_id(course), files)
        else:
            self.module_items(ctx, org)
            shared = [f for f in files if f != "index.html"]
            # resources in launch order, so the first resource is the first SCO launched
            for ref in org.xpath("//cp:item/@identifierref", namespaces={"cp": self.nsmap[None]}):
                self.resource(resources, str(ref), ["index.html"],
                              depends=self.shared_resource_id(course))
            self.resource(resources, self.shared_resource_id(course), shared, sco=False)
        self.organization_extras(ctx, org)
        return root

    def module_items(self, ctx: BuildContext, org: etree._Element) -> None:
        """One launchable item per module, in course order (2004 groups them for sequencing)."""
        for module in ctx.course.modules:
            self.module_item(ctx, org, module)

    def module_item(self, ctx: BuildContext, parent: etree._Element,
                    module: Module) -> etree._Element:
        item = self.cp(parent, "item", identifier=self.module_item_id(module),
                       identifierref=self.module_resource_id(module),
                       parameters=self.module_parameters(module))
        self.cp(item, "title", module.title)
        self.item_extras(ctx, item, module)
        return item

    def resource(self, parent: etree._Element, identifier: str, files: list[str],
                 depends: str | None = None, sco: bool = True) -> etree._Element:
        """A resource listing its files; SCO resources launch index.html."""
        res = self.cp(parent, "resource", identifier=identifier, type="webcontent")
        if sco:
            res.set("href", "index.html")
        res.set(self.scorm_type_attr, "sco" if sco else "asset")
        # index.html first: the launch file is the first one some importers look at
        for name in sorted(files, key=lambda f: (f != "index.html", f)):
            self.cp(res, "file", href=name)
        if depends:
            self.cp(res, "dependency", identifierref=depends)
        return res

    # -- hooks the versions fill ---------------------------------------------------------

    scorm_type_attr: ClassVar[str]

    def course_metadata(self, meta: etree._Element, course: Course) -> None:
        """Title, description, version, language, learning time and CE hours."""
        raise NotImplementedError

    def item_extras(self, ctx: BuildContext, item: etree._Element,
                    module: Module | None) -> None:
        """Version-specific children of a launchable item (mastery, sequencing)."""

    def organization_extras(self, ctx: BuildContext, org: etree._Element) -> None:
        """Version-specific children of the organization (sequencing)."""
