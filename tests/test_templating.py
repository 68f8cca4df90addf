"""Templates: course folder, then project folder, then built-ins; overrides can extend."""

from __future__ import annotations

import os
import shutil
import zipfile

from packager import api
from tests.conftest import ROOTS


def index_html(tmp_path, course, project_templates=None) -> str:
    (artifact,) = api.build(course, ["web"], tmp_path / "out", project_templates=project_templates)
    with zipfile.ZipFile(artifact.path) as zf:
        return zf.read("index.html").decode()


def test_builtin_templates_by_default(tmp_path):
    html = index_html(tmp_path, ROOTS / "basic")
    assert '<html lang="en">' in html and "Basic Test Course" in html


def test_project_override_extends_builtin(tmp_path):
    project = tmp_path / "templates"
    project.mkdir()
    (project / "course.html").write_text(
        '{% extends "!builtin/course.html" %}{% block footer %}<footer>PROJECT</footer>'
        "{% endblock %}")
    html = index_html(tmp_path, ROOTS / "basic", project)
    assert "<footer>PROJECT</footer>" in html and 'role="progressbar"' in html


def test_course_override_wins_over_project(tmp_path):
    course = shutil.copytree(ROOTS / "basic", tmp_path / "c")
    (course / "templates").mkdir()
    (course / "templates" / "course.html").write_text(
        '{% extends "!builtin/course.html" %}{% block footer %}<footer>COURSE</footer>'
        "{% endblock %}")
    project = tmp_path / "templates"
    project.mkdir()
    (project / "course.html").write_text("PROJECT ONLY")
    html = index_html(tmp_path, course, project)
    assert "<footer>COURSE</footer>" in html and "PROJECT ONLY" not in html


def test_an_edited_template_is_recompiled_not_served_from_the_cache(tmp_path):
    # Compiled templates are cached between builds (in Jinja's per-user temp folder); an
    # edit, even keeping the file's size and modification time, must show in the next build.
    project = tmp_path / "templates"
    project.mkdir()
    override = project / "course.html"
    for word in ("FIRST", "SECND"):
        override.write_text('{% extends "!builtin/course.html" %}{% block footer %}'
                            f"<footer>{word}</footer>{{% endblock %}}")
        os.utime(override, ns=(0, 0))
        assert f"<footer>{word}</footer>" in index_html(tmp_path / word, ROOTS / "basic", project)
