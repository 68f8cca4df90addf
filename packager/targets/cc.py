"""IMS Common Cartridge 1.3: the course structure as LTI 1.3 links to the tool server.

One ``imsbasiclti_xmlv1p3`` link per module, in course order, so an admin imports the whole
course in one step once the tool is registered (Canvas matches the links to the developer key
by domain; other platforms take the launch URL). Deep linking stays the primary way to place
links; the cartridge is the bulk route.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

from lxml import etree

from packager.diagnostics import Diagnostic
from packager.model import Course, Module
from packager.targets.base import BuildContext, Target
from packager.zipwriter import Entry

CC = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOMIMSCC = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
LTICC = "http://www.imsglobal.org/xsd/imslticc_v1p3"
BLTI = "http://www.imsglobal.org/xsd/imsbasiclti_v1p0"
LTICM = "http://www.imsglobal.org/xsd/imslticm_v1p0"
LTICP = "http://www.imsglobal.org/xsd/imslticp_v1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
CC_LOCATIONS = (
    f"{CC} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
    f"{LOMIMSCC} http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd"
)
LTI_LOCATIONS = (
    f"{LTICC} http://www.imsglobal.org/xsd/lti/ltiv1p3/imslticc_v1p3.xsd "
    f"{BLTI} http://www.imsglobal.org/xsd/lti/ltiv1p0/imsbasiclti_v1p0p1.xsd "
    f"{LTICM} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticm_v1p0.xsd "
    f"{LTICP} http://www.imsglobal.org/xsd/lti/ltiv1p0/imslticp_v1p0.xsd"
)
RESOURCE_TYPE = "imsbasiclti_xmlv1p3"
URL_ENV = "PACKAGER_LTI_BASE_URL"
DEV_URL = "http://127.0.0.1:8000"  # `packager lti serve` with its defaults
_NOT_ID = re.compile(r"[^A-Za-z0-9._-]+")


def _id(prefix: str, value: str) -> str:
    return f"{prefix}-{_NOT_ID.sub('_', value)}"


def link_href(module: Module) -> str:
    return f"lti/{_NOT_ID.sub('_', module.id)}.xml"


def _sub(parent: etree._Element, ns: str, local: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ns}}}{local}", attrs)
    if text is not None:
        el.text = text
    return el


def lti_link(course: Course, module: Module, base: str) -> etree._Element:
    """One cartridge_basiclti_link: launches the tool on this course and module."""
    root = etree.Element(f"{{{LTICC}}}cartridge_basiclti_link", nsmap={
        None: LTICC, "blti": BLTI, "lticm": LTICM, "lticp": LTICP, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", LTI_LOCATIONS)
    _sub(root, BLTI, "title", f"{course.title}: {module.title}")
    _sub(root, BLTI, "description", course.description or course.title)
    custom = _sub(root, BLTI, "custom")
    _sub(custom, LTICM, "property", course.id, name="course")
    _sub(custom, LTICM, "property", module.id, name="module")
    canvas = _sub(root, BLTI, "extensions", platform="canvas.instructure.com")
    _sub(canvas, LTICM, "property", "1.3.0", name="lti_version")
    _sub(canvas, LTICM, "property", "public", name="privacy_level")
    _sub(canvas, LTICM, "property", urlparse(base).netloc, name="domain")
    launch = f"{base}/lti/launch"
    _sub(root, BLTI, "launch_url", launch)
    if launch.startswith("https://"):
        _sub(root, BLTI, "secure_launch_url", launch)
    vendor = _sub(root, BLTI, "vendor")
    _sub(vendor, LTICP, "code", "packager")
    _sub(vendor, LTICP, "name", "packager")
    return root


def manifest(course: Course) -> etree._Element:
    """imsmanifest.xml: course metadata, one item per module, one LTI resource each."""
    root = etree.Element(f"{{{CC}}}manifest", nsmap={None: CC, "lomimscc": LOMIMSCC, "xsi": XSI},
                         identifier=_id("cc", f"{course.id}-{course.version}"))
    root.set(f"{{{XSI}}}schemaLocation", CC_LOCATIONS)
    meta = _sub(root, CC, "metadata")
    _sub(meta, CC, "schema", "IMS Common Cartridge")
    _sub(meta, CC, "schemaversion", "1.3.0")
    general = _sub(_sub(meta, LOMIMSCC, "lom"), LOMIMSCC, "general")
    _sub(_sub(general, LOMIMSCC, "title"), LOMIMSCC, "string", course.title,
         language=course.language)
    if course.description:
        _sub(_sub(general, LOMIMSCC, "description"), LOMIMSCC, "string", course.description,
             language=course.language)
    org = _sub(_sub(root, CC, "organizations"), CC, "organization", identifier="org",
               structure="rooted-hierarchy")
    top = _sub(org, CC, "item", identifier="root")
    resources = _sub(root, CC, "resources")
    for module in course.modules:
        item = _sub(top, CC, "item", identifier=_id("item", module.id),
                    identifierref=_id("res", module.id))
        _sub(item, CC, "title", module.title)
        res = _sub(resources, CC, "resource", identifier=_id("res", module.id),
                   type=RESOURCE_TYPE)
        _sub(res, CC, "file", href=link_href(module))
    return root


def _xml(el: etree._Element) -> bytes:
    return etree.tostring(el, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class CommonCartridgeTarget(Target):
    """An .imscc (a zip) of LTI 1.3 links; the course itself stays on the tool server."""

    name = "cc"
    adapter = "lti"
    description = "IMS Common Cartridge 1.3 of LTI 1.3 links to `packager lti serve`"

    def given_url(self, ctx: BuildContext) -> str | None:
        """The tool's URL from --lti-url or the environment, if either names one."""
        return ctx.options.get("lti_url") or os.environ.get(URL_ENV)

    def base_url(self, ctx: BuildContext) -> str:
        return str(self.given_url(ctx) or DEV_URL).rstrip("/")

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        base = self.base_url(ctx)
        url = urlparse(base)
        if url.scheme not in ("http", "https") or not url.netloc:
            return [Diagnostic("error", f"--lti-url {base!r} is not an http(s) URL",
                               ctx.course.loc)]
        if not self.given_url(ctx):
            # A warning, not an error, so `--target all` still builds everything.
            return [Diagnostic("warning", f"the cartridge's links point at the development "
                               f"server {DEV_URL}", ctx.course.loc,
                               hint=f"pass --lti-url https://tool.example.org (or set {URL_ENV})")]
        return []

    def entries(self, ctx: BuildContext) -> list[Entry]:
        base = self.base_url(ctx)
        entries = [Entry("imsmanifest.xml", _xml(manifest(ctx.course)))]
        entries += [Entry(link_href(m), _xml(lti_link(ctx.course, m, base)))
                    for m in ctx.course.modules]
        return entries
