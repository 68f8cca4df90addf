"""The CLI: exit codes, machine-readable output, no tracebacks for bad input."""

from __future__ import annotations

import hashlib
import json
import shutil

from click.testing import CliRunner

from packager.cli import cli
from tests.conftest import ROOTS


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_validate_clean_course_exits_0():
    result = run("validate", "--strict", str(ROOTS / "basic"))
    assert result.exit_code == 0, result.output


def test_validate_planted_mistakes_reports_each_at_its_line():
    result = run("validate", str(ROOTS / "planted"))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    out = result.output
    for where, what in [
        ("course.yaml:3:10", "invalid version '1.0'"),
        ("course.yaml:4:1", "unknown key 'langauge'"),
        ("course.yaml:8:5", "module '03-missing' is listed"),
        ("01-intro.md:5:1", "text before the first level-1 heading"),
        ("01-intro.md:9:1", "no alt text"),
        ("01-intro.md:11:1", "missing file '../assets/nowhere.png'"),
        ("02-quiz.md:4:7", "pool of 4"),
        ("02-quiz.md:14:3", "exactly one correct choice"),
        ("02-quiz.md:19:1", "true-false question needs 'answer"),
        ("02-quiz.md:24:1", "duplicate question id 'q1'"),
        ("02-quiz.md:28:10", "at least one correct"),
        ("99-orphan.md", "not listed"),
    ]:
        assert any(where in line and what in line for line in out.splitlines()), (where, out)


def test_validate_json_for_ci():
    result = run("validate", "--format", "json", str(ROOTS / "planted"), str(ROOTS / "basic"))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    planted, basic = data["courses"]
    assert planted["errors"] == 10 and planted["warnings"] == 2
    assert basic["errors"] == 0 and basic["course"] == "basic"
    first = planted["diagnostics"][0]
    assert set(first) == {"level", "path", "line", "col", "message", "hint"}


def test_strict_makes_warnings_fail(tmp_path):
    course = shutil.copytree(ROOTS / "basic", tmp_path / "c")
    (course / "modules" / "99-extra.md").write_text("# Extra\n")
    assert run("validate", str(course)).exit_code == 0
    assert run("validate", "--strict", str(course)).exit_code == 1


def test_usage_errors_exit_2(tmp_path):
    assert run("validate").exit_code == 2
    assert run("build", str(ROOTS / "basic"), "--target", "nope").exit_code == 2
    assert run("build", str(ROOTS / "basic"), "--version", "banana",
               "--out", str(tmp_path)).exit_code == 2


def test_missing_folder_is_a_clean_error(tmp_path):
    result = run("validate", str(tmp_path / "nope"))
    assert result.exit_code == 1 and "not a course folder" in result.output


def test_build_web_twice_gives_the_same_sha256(tmp_path):
    a = run("build", str(ROOTS / "basic"), "--out", str(tmp_path / "a"), "--format", "json")
    b = run("build", str(ROOTS / "basic"), "--out", str(tmp_path / "b"), "--format", "json")
    assert a.exit_code == b.exit_code == 0
    (art_a,) = json.loads(a.stdout)["artifacts"]
    (art_b,) = json.loads(b.stdout)["artifacts"]
    assert art_a["sha256"] == art_b["sha256"]
    path = tmp_path / "a" / "basic-1.0.0-web.zip"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == art_a["sha256"]


def test_build_version_override(tmp_path):
    result = run("build", str(ROOTS / "basic"), "--out", str(tmp_path), "--version", "2.0.0-rc.1")
    assert result.exit_code == 0
    assert (tmp_path / "basic-2.0.0-rc.1-web.zip").exists()


def test_failed_build_leaves_dist_untouched(tmp_path):
    out = tmp_path / "dist"
    assert run("build", str(ROOTS / "basic"), "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.glob("*.zip")}
    broken = shutil.copytree(ROOTS / "basic", tmp_path / "broken")
    (broken / "modules" / "01-lesson.md").write_text("no heading here\n")
    shutil.copy(broken / "course.yaml", broken / "course.yaml.bak")
    result = run("build", str(broken), "--out", str(out))
    assert result.exit_code == 1 and "01-lesson.md:1:1" in result.output
    assert {p.name: p.read_bytes() for p in out.glob("*.zip")} == before
    assert not list(out.glob(".*.tmp"))


def test_batch_build_of_a_folder_then_nothing_to_rebuild(tmp_path):
    courses = tmp_path / "courses"
    courses.mkdir()
    for name in ("one", "two"):
        course = shutil.copytree(ROOTS / "basic", courses / name)
        yaml = (course / "course.yaml").read_text().replace("id: basic", f"id: {name}")
        (course / "course.yaml").write_text(yaml)
    out = str(tmp_path / "dist")
    first = run("build", str(courses), "--out", out, "--format", "json", "-j", "2")
    assert first.exit_code == 0, first.output
    report = json.loads(first.stdout)
    assert report["rebuilt"] == 2 and report["up_to_date"] == 0
    assert sorted(a["course"] for a in report["artifacts"]) == ["one", "two"]
    second = json.loads(run("build", str(courses), "--out", out, "--format", "json").stdout)
    assert second["rebuilt"] == 0 and second["up_to_date"] == 2
    assert [a["sha256"] for a in second["artifacts"]] == [a["sha256"] for a in report["artifacts"]]
    text = run("build", str(courses), "--out", out)
    assert "nothing to rebuild" in text.output
    (courses / "one" / "modules" / "01-lesson.md").write_text(
        (courses / "one" / "modules" / "01-lesson.md").read_text() + "\nMore.\n")
    third = json.loads(run("build", str(courses), "--out", out, "--format", "json").stdout)
    assert third["rebuilt"] == 1
    forced = json.loads(run("build", str(courses), "--out", out, "--format", "json",
                            "--force").stdout)
    assert forced["rebuilt"] == 2


def test_batch_build_reports_failures_and_builds_the_rest(tmp_path):
    result = run("build", str(ROOTS / "basic"), str(ROOTS / "planted"), "--out",
                 str(tmp_path), "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [a["course"] for a in report["artifacts"]] == ["basic"]
    (failure,) = report["failures"]
    assert failure["path"].endswith("planted") and len(failure["diagnostics"]) == 12


def test_certificate_code_verifies(tmp_path):
    code = run("certificate-code", str(ROOTS / "basic"), "--learner", "Ada Lovelace",
               "--date", "2026-11-27").output.strip()
    assert len(code) == 14 and code.count("-") == 2
    same = run("certificate-code", str(ROOTS / "basic"), "--learner", "Lovelace, Ada",
               "--date", "2026-11-27", "--code", code.lower())
    assert same.exit_code == 0 and "valid" in same.output
    other = run("certificate-code", str(ROOTS / "basic"), "--learner", "Ada Lovelace",
                "--date", "2026-11-28", "--code", code)
    assert other.exit_code == 1
    assert run("certificate-code", str(ROOTS / "basic"), "--learner", "A",
               "--date", "27/11/2026").exit_code == 2
