"""``packager new``: a course that validates and builds at once, and teaches the format."""

from __future__ import annotations

import os
import re
from pathlib import Path

from packager.diagnostics import PackagerError, UsageError

SCAFFOLD_DIR = Path(__file__).parent / "scaffold"
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def new_course(path: str | os.PathLike[str], title: str | None = None) -> Path:
    """Create a course folder at ``path``; its id is the folder name."""
    root = Path(path)
    course_id = root.name
    if not ID_RE.match(course_id):
        raise UsageError(f"'{course_id}' is not a valid course id: use lower-case letters, "
                         "digits and '-', starting with a letter or digit")
    if root.exists() and any(root.iterdir()):
        raise PackagerError(f"{root} already exists and is not empty")
    title = title or course_id.replace("-", " ").capitalize()
    for source in sorted(SCAFFOLD_DIR.rglob("*")):
        if source.is_dir():
            continue
        dest = root / source.relative_to(SCAFFOLD_DIR)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if source.suffix in (".yaml", ".md"):
            text = source.read_text(encoding="utf-8")
            text = text.replace("{{ id }}", course_id).replace("{{ title }}", _yaml_text(title))
            dest.write_text(text, encoding="utf-8")
        else:
            dest.write_bytes(source.read_bytes())
    return root


def _yaml_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
