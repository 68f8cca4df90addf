"""Markdown to sanitised HTML (markdown-it-py + nh3), with asset references resolved."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token

# Tags and attributes kept from authors' Markdown and raw HTML. Scripts, event
# handlers, styles and iframes never survive (the spec's sanitising promise).
_TAGS = set(nh3.ALLOWED_TAGS) | {"figure", "figcaption", "audio", "video", "source", "track"}
_ATTRIBUTES = {tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()}
for _tag, _attrs in {
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "title"},
    "code": {"class"},
    "audio": {"src", "controls"},
    "video": {"src", "controls", "width", "height", "poster"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "th": {"scope"},
}.items():
    _ATTRIBUTES.setdefault(_tag, set()).update(_attrs)

_DANGEROUS = re.compile(r"<\s*(script|iframe|object|embed|style)\b|\son[a-z]+\s*=", re.I)

# Rendered inline Markdown holding no tag, entity or character that nh3 would rewrite is
# already exactly what nh3 returns (tests/test_markdown.py checks it on random strings):
# plain choice texts and prompts skip the sanitiser, a third of the time parsing took.
_PLAIN = re.compile(r"[^<>&\x00-\x08\x0b-\x1f\x7f-\x9f\xa0\ufeff\ufffe\uffff]*\Z")

# Text made only of letters, digits, spaces and punctuation that no inline Markdown rule
# reacts to renders as itself: most choice texts and feedback, which then skip markdown-it
# (tests/test_markdown.py compares both ways on random strings).
_INERT = re.compile(r"(?:[^\W_]|[ ,.;:?!'()/%+=-])*\Z")

# Given a reference as written, return the URL to use in the package, or None to keep it.
Resolver = Callable[[str, int], str | None]


def sanitize(html: str) -> str:
    """Remove anything that could run code from HTML."""
    return nh3.clean(html, tags=_TAGS, attributes=_ATTRIBUTES, link_rel="noopener noreferrer")


def has_dangerous_html(html: str) -> bool:
    """True when the sanitiser will drop something the author wrote on purpose."""
    return bool(_DANGEROUS.search(html))


def is_external(url: str) -> bool:
    return bool(re.match(r"^([a-z][a-z0-9+.-]*:|//|#)", url, re.I))


class Markdown:
    """One configured markdown-it parser, shared by every module of a build."""

    def __init__(self) -> None:
        self.md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])

    def parse(self, text: str) -> list[Token]:
        return self.md.parse(text)

    def render_blocks(self, tokens: Sequence[Token], resolve: Resolver | None = None) -> str:
        """Render block tokens to sanitised HTML, rewriting local references with ``resolve``."""
        if resolve:
            _rewrite_refs(tokens, resolve)
        return sanitize(self.md.renderer.render(list(tokens), self.md.options, {}))

    def render_inline(self, text: str) -> str:
        """Render one line of inline Markdown (prompts, choices, feedback)."""
        if _INERT.match(text):
            return text.strip()
        html = self.md.renderInline(text)
        return (html if _PLAIN.match(html) else sanitize(html)).strip()


def inline_text(token: Token) -> str:
    """The plain text of an inline token (for titles and labels)."""
    if not token.children:
        return token.content
    parts = []
    for child in token.children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(child.content)
    return "".join(parts).strip()


def _rewrite_refs(tokens: Sequence[Token], resolve: Resolver) -> None:
    for token in tokens:
        line = (token.map[0] if token.map else 0)
        for child in token.children or ():
            attr = {"image": "src", "link_open": "href"}.get(child.type)
            if attr is None:
                continue
            url = str(child.attrGet(attr) or "")
            new = resolve(url, line)
            if new is not None:
                child.attrSet(attr, new)
