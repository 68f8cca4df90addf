"""Property: for any folder content, the loader returns a Course or diagnostics, never raises."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager.loader import load_course
from tests.conftest import ROOTS

BASIC = ROOTS / "basic"
EXAMPLES = int(os.environ.get("PACKAGER_FUZZ_EXAMPLES", "150"))

yaml_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 500), st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["single", "multiple", "likert", "true-false", "text", "assessment",
                     "evaluation", "1.0.0", "- x", ": :", "{", "[", "```", "# Heading", "---",
                     "\t", "&a", "*a", "!!python/name:os.system"]),
)
yaml_values = st.recursive(yaml_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10)


def mutate(text: str, data: st.DataObject) -> str:
    """Apply a few random edits: delete, duplicate or insert lines and characters."""
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["del", "dup", "ins", "chars", "swap"]))
        i = data.draw(st.integers(0, max(len(lines) - 1, 0)))
        if not lines:
            lines = [""]
        if op == "del":
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "ins":
            lines.insert(i, data.draw(st.sampled_from([
                "```quiz\n", "```\n", "# New page\n", "---\n", "  - text: x\n", "correct: true\n",
                "pool: 99\n", "type: bogus\n", "![](../assets/nope.png)\n", "\x00\n", "id: dup\n",
                "key: [unclosed\n", "<script>x</script>\n", "answer: maybe\n", "choices: 5\n"])))
        elif op == "chars":
            pos = data.draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + data.draw(st.text(max_size=5)) + lines[i][pos:]
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def check(folder: Path) -> None:
    course, diags = load_course(folder)
    assert course is not None or any(d.level == "error" for d in diags)
    for d in diags:
        assert d.loc.path and d.message and d.level in ("error", "warning")
        d.format()


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_fixture_course_never_crashes_the_loader(data):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "c"
        shutil.copytree(BASIC, root)
        files = sorted(p for p in root.rglob("*") if p.suffix in (".md", ".yaml"))
        for path in data.draw(st.lists(st.sampled_from(files), min_size=1, max_size=3)):
            path.write_text(mutate(path.read_text(encoding="utf-8"), data), encoding="utf-8")
        if data.draw(st.booleans()):
            victim = data.draw(st.sampled_from(files))
            if data.draw(st.booleans()):
                victim.unlink()
            else:
                victim.write_bytes(data.draw(st.binary(max_size=64)))
        check(root)


@settings(max_examples=EXAMPLES, deadline=None)
@given(course=yaml_values, front=yaml_values, quiz=yaml_values)
def test_random_yaml_structures_never_crash_the_loader(course, front, quiz):
    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "modules").mkdir()
        dump = lambda v: yaml.safe_dump(v, allow_unicode=True)  # noqa: E731
        (root / "course.yaml").write_text(dump(course), encoding="utf-8")
        (root / "modules" / "m.md").write_text(
            f"---\n{dump(front)}---\n\n# Page\n\n```quiz\n{dump(quiz)}```\n", encoding="utf-8")
        check(root)
