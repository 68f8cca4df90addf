"""The Markdown renderer's shortcuts must give exactly what the full path gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from packager.markdown import _INERT, _PLAIN, Markdown, sanitize
from tests.fuzz.counts import EXAMPLES

MD = Markdown()

# Characters that look like Markdown, entities or HTML, mixed with inert text, so both
# sides of each shortcut's test are well exercised.
_ALPHABET = st.sampled_from(list("abcXYZ019 _*`[]()!<>&\"'#-+=.:;,?/%~|\\\n\t\xa0éß€🙂"))
texts = st.text(_ALPHABET, max_size=40)


@settings(max_examples=EXAMPLES, deadline=None)
@given(texts)
def test_inert_text_renders_as_itself(text: str) -> None:
    full = MD.md.renderInline(text)
    expected = (full if _PLAIN.match(full) else sanitize(full)).strip()
    assert MD.render_inline(text) == expected
    if _INERT.match(text):
        assert full.strip() == text.strip()


@settings(max_examples=EXAMPLES, deadline=None)
@given(texts)
def test_plain_html_is_what_the_sanitiser_returns(text: str) -> None:
    html = MD.md.renderInline(text)
    if _PLAIN.match(html):
        assert sanitize(html) == html


def test_shortcuts_are_taken_for_ordinary_choice_texts() -> None:
    # Typical choice and feedback texts skip markdown-it; Markdown and HTML never do.
    assert _INERT.match("Disclose only the minimum necessary (HIPAA 45 CFR 164.502(b)).")
    assert _INERT.match("Yes: it's required, 100% of the time; see section 2.1-a!")
    for marked in ("*not* this", "a_b", "[link](x)", "a < b", "Tom & Jerry", 'say "hi"',
                   "line\nbreak", "`code`", "~~old~~"):
        assert not _INERT.match(marked), marked
