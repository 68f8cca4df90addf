"""Jinja2 templates looked up in the course, then the project, then the built-ins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import jinja2

BUILTIN_DIR = Path(__file__).parent / "templates"
BUILTIN_PREFIX = "!builtin/"


class ChainLoader(jinja2.BaseLoader):
    """Finds a template in the first folder that has it.

    ``!builtin/NAME`` always names the built-in, so an override can extend the
    template it replaces: ``{% extends "!builtin/page.html" %}``.
    """

    def __init__(self, folders: list[Path]):
        self.folders = [f for f in folders if f.is_dir()]
        self.builtin = jinja2.FileSystemLoader(str(BUILTIN_DIR))
        self.chain = jinja2.FileSystemLoader([str(f) for f in self.folders] + [str(BUILTIN_DIR)])

    def get_source(self, environment: jinja2.Environment,
                   template: str) -> tuple[str, str | None, Callable[[], bool] | None]:
        if template.startswith(BUILTIN_PREFIX):
            return self.builtin.get_source(environment, template[len(BUILTIN_PREFIX):])
        return self.chain.get_source(environment, template)


def make_environment(course_templates: Path | None,
                     project_templates: Path | None) -> jinja2.Environment:
    """A sandbox-free but autoescaping environment for one course's build."""
    folders = [p for p in (course_templates, project_templates) if p is not None]
    env = jinja2.Environment(
        loader=ChainLoader(folders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env

