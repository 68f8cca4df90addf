"""``packager new``: the scaffold validates cleanly and builds for every target."""

from __future__ import annotations

import json

from click.testing import CliRunner

from packager.cli import cli
from packager.loader import load_course


def test_new_course_validates_and_builds_for_all_targets(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "my-course"]).exit_code == 0
    course, diags = load_course(tmp_path / "my-course")
    assert diags == [] and course is not None
    assert [m.kind for m in course.modules] == ["lesson", "assessment", "evaluation"]
    assert {q.type for q in course.questions} == {"single", "multiple", "true-false", "text",
                                                   "likert"}
    assert [a.path for a in course.assets] == ["assets/welcome.svg"]
    result = runner.invoke(cli, ["build", "my-course", "--target", "all", "--format", "json"])
    assert result.exit_code == 0, result.output
    artifacts = json.loads(result.stdout)["artifacts"]
    assert len(artifacts) >= 3 and all((tmp_path / a["path"]).is_file() for a in artifacts)


def test_new_refuses_bad_ids_and_existing_folders(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["new", "Bad Id"]).exit_code == 2
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("x")
    result = runner.invoke(cli, ["new", "taken"])
    assert result.exit_code == 1 and "not empty" in result.output
