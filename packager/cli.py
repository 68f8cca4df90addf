"""The ``packager`` command line: thin wrappers over packager.api.

Exit codes: 0 success; 1 problems in the course or package; 2 usage errors.
"""

from __future__ import annotations

import json
import sys

import click

from packager import __version__, api, batch, scaffold
from packager.console import print_build_result, progress_display
from packager.targets import target_names


def _print_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=True))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="packager")
def cli() -> None:
    """Compile Markdown + YAML courses into LMS packages."""


@cli.command()
@click.argument("course_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              help="Output format (json for CI).")
def validate(course_dirs: tuple[str, ...], strict: bool, fmt: str) -> None:
    """Check course sources and report every problem as path:line:col."""
    results = api.validate(course_dirs)
    if fmt == "json":
        _print_json({"ok": all(r.ok(strict) for r in results),
                     "courses": [r.as_dict() for r in results]})
    else:
        for result in results:
            for diag in result.diagnostics:
                click.echo(diag.format(), err=True)
            state = "ok" if result.ok(strict) else "FAILED"
            click.echo(f"{result.path}: {state} ({len(result.errors)} error(s), "
                       f"{len(result.warnings)} warning(s))", err=True)
    sys.exit(0 if all(r.ok(strict) for r in results) else 1)


@cli.command()
@click.argument("course_dirs", nargs=-1, required=True, type=click.Path())
@click.option("--target", "-t", "targets", multiple=True, default=["web"], show_default=True,
              help=f"Package format: {', '.join(target_names())} or all. Repeatable.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="dist",
              show_default=True, help="Folder to write packages to.")
@click.option("--version", "version", default=None, help="Override the course version.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--force", is_flag=True, help="Rebuild even when a package is up to date.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Courses built in parallel (default: one per core).")
@click.option("--sco", type=click.Choice(["single", "per-module"]), default="single",
              show_default=True, help="SCORM layout: one SCO, or one per module.")
@click.option("--profile", type=click.Choice(["passed-incomplete", "passed-failed",
                                              "completed-incomplete", "completed-failed"]),
              default="passed-incomplete", show_default=True,
              help="SCORM 1.2 lesson_status reporting profile.")
@click.option("--mastery", is_flag=True, help="Write a mastery score into SCORM manifests.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def build(course_dirs: tuple[str, ...], targets: tuple[str, ...], out_dir: str,
          version: str | None, strict: bool, force: bool, jobs: int | None, sco: str,
          profile: str, mastery: bool, fmt: str) -> None:
    """Build packages of one or more courses (or a folder of courses) into --out."""
    options = {"sco": sco, "profile": profile, "mastery": mastery}
    with progress_display(enabled=fmt == "text") as progress:
        result = batch.build_many(list(course_dirs), list(targets), out_dir, version=version,
                                  strict=strict, force=force, jobs=jobs, options=options,
                                  progress=progress)
    if fmt == "json":
        _print_json(result.as_dict())
    else:
        print_build_result(result)
    sys.exit(0 if result.ok else 1)


@cli.command()
@click.argument("packages", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--schemas", type=click.Path(file_okay=False), default=None,
              help="Folder of official SCORM schemas (e.g. ../shared/schemas) to validate "
                   "against; XSDs the package carries are always used.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def check(packages: tuple[str, ...], schemas: str | None, strict: bool, fmt: str) -> None:
    """Check SCORM zips: files, references, zip hygiene and (with --schemas) the schemas."""
    reports = api.check(packages, schemas)
    ok = all(r.ok(strict) for r in reports)
    if fmt == "json":
        _print_json({"ok": ok, "packages": [r.as_dict() for r in reports]})
    else:
        for report in reports:
            for line in report.lines():
                click.echo(line, err=True)
            state = "ok" if report.ok(strict) else "FAILED"
            schema_note = "schema checked" if report.schema_checked else "schema not checked"
            click.echo(f"{report.package}: {state} (SCORM {report.version or '?'}, "
                       f"{schema_note}, {len(report.errors)} error(s), "
                       f"{len(report.warnings)} warning(s))", err=True)
    sys.exit(0 if ok else 1)


@cli.command()
@click.argument("course_dir", type=click.Path(file_okay=False))
@click.option("--title", default=None, help="Course title (default: from the folder name).")
def new(course_dir: str, title: str | None) -> None:
    """Create a new course folder that validates and builds at once."""
    root = scaffold.new_course(course_dir, title)
    click.echo(f"created {root}: edit course.yaml and modules/, then run "
               f"'packager build {root} --target all'")


def main() -> None:
    cli(prog_name="packager")
