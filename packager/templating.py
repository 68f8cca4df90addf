"""Jinja2 templates looked up in the course, then the project, then the built-ins."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from packager import __version__

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


# Every option that changes what a template compiles to; part of the bytecode cache's key.
_OPTIONS: dict[str, Any] = {"autoescape": True, "undefined": jinja2.StrictUndefined,
                            "keep_trailing_newline": True, "trim_blocks": True,
                            "lstrip_blocks": True}


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between builds: compiling ours costs ~20 ms per build.

    Jinja checks each entry against the template's source, so an edited template is
    recompiled; the file names carry our version and options, which the check does not
    cover. A cache must never fail a build, so its read and write errors are ignored.
    """

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            pass

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    tag = hashlib.sha256(f"{__version__} {sorted(_OPTIONS.items(), key=str)}".encode())
    try:
        # No directory given: Jinja's per-user folder in the temp dir, created 0700 and
        # refused if someone else owns it.
        return _BytecodeCache(pattern=f"__packager-{tag.hexdigest()[:16]}-%s.cache")
    except (OSError, RuntimeError):
        return None


def make_environment(course_templates: Path | None,
                     project_templates: Path | None) -> jinja2.Environment:
    """A sandbox-free but autoescaping environment for one course's build."""
    folders = [p for p in (course_templates, project_templates) if p is not None]
    return jinja2.Environment(loader=ChainLoader(folders), bytecode_cache=_bytecode_cache(),
                              **_OPTIONS)
