"""Inline course HTML (already sanitised) as QTI inline content in the QTI namespace."""

from __future__ import annotations

from lxml import etree, html

# Inline elements QTI 2.1 shares with XHTML; anything else keeps its text only.
KEEP = frozenset({"em", "strong", "b", "i", "code", "sub", "sup", "br", "span", "q", "abbr",
                  "cite", "kbd", "var", "samp", "dfn", "small", "big", "tt"})


def _append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _copy(source: html.HtmlElement, parent: etree._Element, ns: str) -> None:
    for child in source:
        if not isinstance(child.tag, str):  # comments, processing instructions
            _append_text(parent, child.tail)
            continue
        tag = child.tag.lower()
        if tag in KEEP:
            el = etree.SubElement(parent, f"{{{ns}}}{tag}")
            el.text = child.text
            _copy(child, el, ns)
        elif tag == "a" and child.get("href"):
            el = etree.SubElement(parent, f"{{{ns}}}a", href=child.get("href"))
            el.text = child.text
            _copy(child, el, ns)
        elif tag == "img":
            _append_text(parent, child.get("alt") or "")
        else:
            _append_text(parent, child.text)
            _copy(child, parent, ns)
        _append_text(parent, child.tail)


def inline_content(parent: etree._Element, fragment: str, ns: str) -> etree._Element:
    """Fill ``parent`` with the fragment's text and its QTI-compatible inline elements."""
    wrapper = html.fragment_fromstring(fragment or "", create_parent="div")
    _append_text(parent, wrapper.text)
    _copy(wrapper, parent, ns)
    return parent
