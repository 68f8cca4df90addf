"""The runtime files themselves: small, ES5-style syntax, and never a window.open."""

from __future__ import annotations

import gzip
import re

import pytest

from packager.render import RUNTIME_DIR

# Budgets (bytes, gzip -9): a bound to notice growth, not a target.
BUDGETS = {"core.js": 14_000, "web.js": 1_500, "scorm12.js": 3_000, "scorm2004.js": 3_000}
ES2015 = re.compile(r"=>|\blet\s|\bconst\s|\bclass\s|`")


@pytest.mark.parametrize("name", sorted(BUDGETS))
def test_runtime_file_is_small_and_es5(name: str) -> None:
    text = (RUNTIME_DIR / name).read_text(encoding="utf-8")
    size = len(gzip.compress(text.encode("utf-8"), 9))
    assert size <= BUDGETS[name], f"{name}: {size} bytes gzipped"
    code = re.sub(r"/\*.*?\*/|//[^\n]*|\"(?:\\.|[^\"\\])*\"", "", text, flags=re.S)
    assert not ES2015.search(code), ES2015.search(code)


def test_no_runtime_file_opens_windows() -> None:
    for path in RUNTIME_DIR.glob("*.js"):
        assert "window.open(" not in path.read_text(encoding="utf-8"), path.name
