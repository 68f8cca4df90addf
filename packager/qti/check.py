"""Structural checks of a QTI 2.1 content package, for want of an XSD in any registry package."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from lxml import etree

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
TEMPLATES = {f"http://www.imsglobal.org/question/qti_v2p1/rptemplates/{t}"
             for t in ("match_correct", "map_response", "map_response_point")}
ITEM_ORDER = ("responseDeclaration", "outcomeDeclaration", "templateDeclaration",
              "templateProcessing", "stylesheet", "itemBody", "responseProcessing",
              "modalFeedback")
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname


def _parse(name: str, data: bytes, problems: list[str]) -> etree._Element | None:
    try:
        # No network, no entities: a package is untrusted input.
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as err:
        problems.append(f"{name}: not well-formed XML: {err}")
        return None


def item_problems(name: str, root: etree._Element) -> list[str]:
    """One assessmentItem: content order, declared responses, consistent correct responses."""
    out: list[str] = []
    if root.tag != f"{{{QTI}}}assessmentItem":
        return [f"{name}: root is {root.tag}, not a QTI 2.1 assessmentItem"]
    for attr in ("identifier", "title", "adaptive", "timeDependent"):
        if root.get(attr) is None:
            out.append(f"{name}: assessmentItem needs @{attr}")
    if not _NCNAME.match(root.get("identifier", "")):
        out.append(f"{name}: identifier '{root.get('identifier')}' is not an NCName")
    order = [ITEM_ORDER.index(_local(c)) if _local(c) in ITEM_ORDER else -1
             for c in root if isinstance(c.tag, str)]
    if -1 in order or order != sorted(order):
        out.append(f"{name}: children out of the QTI 2.1 order {', '.join(ITEM_ORDER)}")
    declared = {d.get("identifier"): d for d in root.findall(f"{{{QTI}}}responseDeclaration")}
    outcomes = {d.get("identifier") for d in root.findall(f"{{{QTI}}}outcomeDeclaration")}
    if "SCORE" not in outcomes:
        out.append(f"{name}: no SCORE outcome for the response processing template")
    interactions = [el for el in root.iter(f"{{{QTI}}}choiceInteraction",
                                           f"{{{QTI}}}textEntryInteraction")]
    if not interactions:
        out.append(f"{name}: no interaction")
    for inter in interactions:
        rid = inter.get("responseIdentifier")
        decl = declared.get(rid)
        if decl is None:
            out.append(f"{name}: {_local(inter)} answers undeclared response '{rid}'")
            continue
        values = [v.text or "" for v in decl.iterfind(f"{{{QTI}}}correctResponse/{{{QTI}}}value")]
        if not values:
            out.append(f"{name}: response '{rid}' has no correctResponse")
        keys = [e.get("mapKey") for e in decl.iterfind(f"{{{QTI}}}mapping/{{{QTI}}}mapEntry")]
        if _local(inter) == "choiceInteraction":
            choices = [c.get("identifier") for c in inter.iter(f"{{{QTI}}}simpleChoice")]
            if len(choices) != len(set(choices)) or len(choices) < 2:
                out.append(f"{name}: choices must be two or more, with unique identifiers")
            if decl.get("baseType") != "identifier":
                out.append(f"{name}: a choice response must have baseType identifier")
            single = inter.get("maxChoices") == "1"
            if decl.get("cardinality") != ("single" if single else "multiple"):
                out.append(f"{name}: cardinality does not match maxChoices")
            if single and len(values) > 1:
                out.append(f"{name}: a single-choice response lists several correct values")
            unknown = (set(values) | set(keys)) - set(choices)
            if unknown:
                out.append(f"{name}: correct or mapped values {sorted(unknown)} are no choice")
        elif decl.get("baseType") != "string" or decl.get("cardinality") != "single":
            out.append(f"{name}: a text entry response must be a single string")
    processing = root.find(f"{{{QTI}}}responseProcessing")
    if processing is None or processing.get("template") not in TEMPLATES:
        out.append(f"{name}: responseProcessing must use a standard QTI 2.1 template")
    elif processing.get("template").endswith("/map_response") and \
            any(d.find(f"{{{QTI}}}mapping") is None for d in declared.values()):
        out.append(f"{name}: map_response needs a mapping")
    return out


def assessment_test_problems(name: str, root: etree._Element,
                             files: Mapping[str, bytes]) -> list[str]:
    """The assessmentTest: its item references resolve and pools draw no more than they hold."""
    out: list[str] = []
    if root.tag != f"{{{QTI}}}assessmentTest":
        return [f"{name}: root is {root.tag}, not a QTI 2.1 assessmentTest"]
    if not root.findall(f"{{{QTI}}}testPart"):
        out.append(f"{name}: no testPart")
    seen: set[str] = set()
    for ref in root.iter(f"{{{QTI}}}assessmentItemRef"):
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), ref.get("href", "")))
        if target not in files:
            out.append(f"{name}: item reference {ref.get('href')} resolves to no file")
        if ref.get("identifier") in seen:
            out.append(f"{name}: item reference {ref.get('identifier')} appears twice")
        seen.add(ref.get("identifier", ""))
    for section in root.iter(f"{{{QTI}}}assessmentSection"):
        selection = section.find(f"{{{QTI}}}selection")
        refs = section.findall(f"{{{QTI}}}assessmentItemRef")
        if selection is not None and not 0 < int(selection.get("select", "0")) <= len(refs):
            out.append(f"{name}: section {section.get('identifier')} selects "
                       f"{selection.get('select')} of {len(refs)} items")
    declared = {d.get("identifier") for d in root.findall(f"{{{QTI}}}outcomeDeclaration")}
    for setter in root.iter(f"{{{QTI}}}setOutcomeValue"):
        if setter.get("identifier") not in declared:
            out.append(f"{name}: outcome {setter.get('identifier')} is set but not declared")
    return out


def package_problems(files: Mapping[str, bytes]) -> list[str]:
    """Every structural problem of a QTI 2.1 package given as {zip member name: bytes}."""
    problems: list[str] = []
    data = files.get("imsmanifest.xml")
    if data is None:
        return ["imsmanifest.xml is missing"]
    manifest = _parse("imsmanifest.xml", data, problems)
    if manifest is None:
        return problems
    if manifest.tag != f"{{{CP}}}manifest":
        problems.append(f"imsmanifest.xml: root is {manifest.tag}, not an IMS CP manifest")
    resources = manifest.findall(f"{{{CP}}}resources/{{{CP}}}resource")
    ids = [r.get("identifier") for r in resources]
    if len(ids) != len(set(ids)):
        problems.append("imsmanifest.xml: resource identifiers repeat")
    for res in resources:
        href, kind = res.get("href", ""), res.get("type")
        listed = [f.get("href") for f in res.findall(f"{{{CP}}}file")]
        for path in [href, *listed]:
            if path not in files:
                problems.append(f"imsmanifest.xml: {res.get('identifier')} lists missing {path}")
        for dep in res.findall(f"{{{CP}}}dependency"):
            if dep.get("identifierref") not in ids:
                problems.append(f"imsmanifest.xml: {res.get('identifier')} depends on unknown "
                                f"{dep.get('identifierref')}")
        if href not in files:
            continue
        root = _parse(href, files[href], problems)
        if root is None:
            continue
        if kind == "imsqti_item_xmlv2p1":
            problems += item_problems(href, root)
        elif kind == "imsqti_test_xmlv2p1":
            problems += assessment_test_problems(href, root, files)
        else:
            problems.append(f"imsmanifest.xml: {res.get('identifier')} has type {kind}")
    unlisted = set(files) - {"imsmanifest.xml"} - {r.get("href") for r in resources}
    if unlisted:
        problems.append(f"files no resource lists: {sorted(unlisted)}")
    return problems
