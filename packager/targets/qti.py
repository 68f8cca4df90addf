"""QTI 2.1: the course's graded questions as an IMS content package LMS quiz banks import."""

from __future__ import annotations

import re
from typing import ClassVar

from lxml import etree

from packager.diagnostics import Diagnostic
from packager.model import Course, Module, Question
from packager.qti.markup import inline_content
from packager.targets.base import BuildContext, Target
from packager.zipwriter import Entry

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEST_TYPE = "imsqti_test_xmlv2p1"
MANIFEST_NAME = "imsmanifest.xml"
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def identifier(*parts: str) -> str:
    """A QTI identifier (an NCName) built from stable parts only."""
    text = "-".join(_NOT_NAME.sub("_", p) for p in parts if p)
    return text if text[:1].isalpha() or text[:1] == "_" else f"Q-{text}"


def choice_id(index: int) -> str:
    return f"C{index + 1}"


def item_href(question: Question) -> str:
    return f"items/{identifier(question.id)}.xml"


def _el(parent: etree._Element | None, local: str, text: str | None = None,
        **attrs: str) -> etree._Element:
    tag = f"{{{QTI}}}{local}"
    el = etree.Element(tag, nsmap={None: QTI, "xsi": XSI}) if parent is None \
        else etree.SubElement(parent, tag)
    for key, value in attrs.items():
        el.set(key, value)
    if text is not None:
        el.text = text
    return el


def _points(value: float) -> str:
    return format(value, "g")


def _declare_outcomes(root: etree._Element, maximum: float) -> None:
    """SCORE (what the learner earned) and MAXSCORE (what the item is worth before weighting)."""
    score = _el(root, "outcomeDeclaration", identifier="SCORE", cardinality="single",
                baseType="float", normalMaximum=_points(maximum))
    _el(_el(score, "defaultValue"), "value", "0")
    top = _el(root, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single",
              baseType="float")
    _el(_el(top, "defaultValue"), "value", _points(maximum))


def assessment_item(question: Question, shuffle: bool) -> etree._Element:
    """One assessmentItem: the interaction, its correct response and its scoring."""
    root = _el(None, "assessmentItem", identifier=identifier(question.id),
               title=question.prompt_text[:120] or question.id, adaptive="false",
               timeDependent="false")
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI} {QTI_XSD}")
    points = question.points
    if question.type == "text":
        decl = _el(root, "responseDeclaration", identifier="RESPONSE", cardinality="single",
                   baseType="string")
        _el(_el(decl, "correctResponse"), "value", question.answers[0])
        mapping = _el(decl, "mapping", defaultValue="0", lowerBound="0",
                      upperBound=_points(points))
        for answer in dict.fromkeys(question.answers):
            _el(mapping, "mapEntry", mapKey=answer, mappedValue=_points(points),
                caseSensitive="false")
        template = "map_response"
        maximum = points
    else:
        multiple = question.type == "multiple"
        decl = _el(root, "responseDeclaration", identifier="RESPONSE",
                   cardinality="multiple" if multiple else "single", baseType="identifier")
        correct = _el(decl, "correctResponse")
        for i in question.correct_indexes:
            _el(correct, "value", choice_id(i))
        if multiple:
            # All correct choices and no wrong one, as the course scores it: all or nothing.
            # The test weights the item's 0/1 by its points.
            template, maximum = "match_correct", 1.0
        else:
            mapping = _el(decl, "mapping", defaultValue="0", lowerBound="0",
                          upperBound=_points(points))
            for i in question.correct_indexes:
                _el(mapping, "mapEntry", mapKey=choice_id(i), mappedValue=_points(points),
                    caseSensitive="true")
            template, maximum = "map_response", points
    _declare_outcomes(root, maximum)
    body = _el(root, "itemBody")
    # The stem is a paragraph of the body (not a <prompt>): the form quiz-bank importers
    # read as the question text.
    stem = _el(_el(body, "div"), "p")
    inline_content(stem, question.prompt_html, QTI)
    if question.type == "text":
        _el(_el(body, "p"), "textEntryInteraction", responseIdentifier="RESPONSE",
            expectedLength=str(max(len(a) for a in question.answers)))
    else:
        interaction = _el(body, "choiceInteraction", responseIdentifier="RESPONSE",
                          shuffle="true" if shuffle and question.type != "true-false"
                          else "false",
                          maxChoices="0" if question.type == "multiple" else "1")
        labels: list[str] = list(question.choice_labels)
        htmls = [c.html for c in question.choices] or [None] * len(labels)
        for i, (label, html) in enumerate(zip(labels, htmls, strict=True)):
            choice = _el(interaction, "simpleChoice", identifier=choice_id(i))
            if html is None:
                choice.text = label
            else:
                inline_content(choice, html, QTI)
    _el(root, "responseProcessing", template=TEMPLATES + template)
    return root


def exportable(question: Question) -> bool:
    """Graded and machine-scored: choices, true-false, or text with accepted answers."""
    return question.graded and (question.type != "text" or bool(question.answers)) and \
        question.type != "likert"


def graded_sections(course: Course) -> list[tuple[Module, tuple[Question, ...]]]:
    """Modules that hold graded questions, each with those questions, in course order."""
    sections = [(m, tuple(q for q in m.questions if exportable(q))) for m in course.modules]
    return [(m, qs) for m, qs in sections if qs]


def assessment_test(course: Course) -> etree._Element:
    """The assessmentTest: one section per module, drawing ``pool`` items where it is set."""
    root = _el(None, "assessmentTest", identifier=identifier("TEST", course.id),
               title=course.title)
    root.set(f"{{{XSI}}}schemaLocation", f"{QTI} {QTI_XSD}")
    for name, base in (("SCORE", "float"), ("MAXSCORE", "float"), ("PASS", "boolean")):
        _el(root, "outcomeDeclaration", identifier=name, cardinality="single", baseType=base)
    part = _el(root, "testPart", identifier="PART-1", navigationMode="nonlinear",
               submissionMode="simultaneous")
    for module, questions in graded_sections(course):
        section = _el(part, "assessmentSection", identifier=identifier("SECTION", module.id),
                      title=module.title, visible="true")
        if module.pool is not None and module.pool < len(questions):
            _el(section, "selection", select=str(module.pool))
        for q in questions:
            ref = _el(section, "assessmentItemRef", identifier=identifier(q.id),
                      href=f"../{item_href(q)}")
            if q.type == "multiple":
                _el(ref, "weight", identifier="W", value=_points(q.points))
    processing = _el(root, "outcomeProcessing")
    for name in ("SCORE", "MAXSCORE"):
        setter = _el(processing, "setOutcomeValue", identifier=name)
        _el(setter, "sum").append(
            _el(None, "testVariables", variableIdentifier=name, weightIdentifier="W"))
    passed = _el(processing, "setOutcomeValue", identifier="PASS")
    gte = _el(passed, "gte")
    ratio = _el(gte, "divide")
    _el(ratio, "variable", identifier="SCORE")
    _el(ratio, "variable", identifier="MAXSCORE")
    _el(gte, "baseValue", format(round(course.passing_score / 100, 4), "g"), baseType="float")
    return root


def assessment_href(course: Course) -> str:
    return f"tests/{identifier(course.id)}.xml"


def manifest(course: Course) -> etree._Element:
    """imsmanifest.xml: one resource per item and one for the test that depends on them."""
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "xsi": XSI},
                         identifier=identifier("MANIFEST", course.id, course.version, "qti"))
    root.set(f"{{{XSI}}}schemaLocation", f"{CP} {CP_XSD}")
    meta = etree.SubElement(root, f"{{{CP}}}metadata")
    etree.SubElement(meta, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(meta, f"{{{CP}}}schemaversion").text = "1.0.0"
    etree.SubElement(root, f"{{{CP}}}organizations")
    resources = etree.SubElement(root, f"{{{CP}}}resources")
    sections = graded_sections(course)
    questions = [q for _, qs in sections for q in qs]
    for q in questions:
        res = etree.SubElement(resources, f"{{{CP}}}resource", identifier=identifier("RES", q.id),
                               type=ITEM_TYPE, href=item_href(q))
        etree.SubElement(res, f"{{{CP}}}file", href=item_href(q))
    if questions:
        res = etree.SubElement(resources, f"{{{CP}}}resource",
                               identifier=identifier("RES-TEST", course.id), type=TEST_TYPE,
                               href=assessment_href(course))
        etree.SubElement(res, f"{{{CP}}}file", href=assessment_href(course))
        for q in questions:
            etree.SubElement(res, f"{{{CP}}}dependency", identifierref=identifier("RES", q.id))
    return root


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


class QtiTarget(Target):
    """IMS QTI 2.1 content package: items, an assessment test and the manifest; no runtime."""

    name = "qti"
    description = "IMS QTI 2.1 question bank (graded questions and the assessment test)"
    # The correct responses are the point of the package: an LMS imports them into its quiz
    # bank on the server; no file of it is ever served to a learner's browser.
    server_side_files: ClassVar[tuple[str, ...]] = ("*",)

    def check(self, ctx: BuildContext) -> list[Diagnostic]:
        if graded_sections(ctx.course):
            return []
        return [Diagnostic("warning", "qti: the course has no graded questions; the package "
                           "holds no items", ctx.course.loc)]

    def entries(self, ctx: BuildContext) -> list[Entry]:
        course = ctx.course
        entries = [Entry(MANIFEST_NAME, _xml(manifest(course)))]
        sections = graded_sections(course)
        for module, questions in sections:
            entries += [Entry(item_href(q), _xml(assessment_item(q, module.shuffle)))
                        for q in questions]
        if sections:
            entries.append(Entry(assessment_href(course), _xml(assessment_test(course))))
        return entries
