"""The ``packager`` command line: thin wrappers over packager.api.

Exit codes: 0 success; 1 problems in the course or package; 2 usage errors.
"""

from __future__ import annotations

import json
import sys

import click

from packager import __version__, api, batch, scaffold
from packager.console import print_build_result, progress_display
from packager.targets import BUILTIN


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
              help=f"Package format: {', '.join(BUILTIN)}, a plugin's target, or all. "
              "Repeatable.")
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
@click.option("--au", type=click.Choice(["single", "per-module"]), default="single",
              show_default=True, help="cmi5 layout: one AU, or one per module.")
@click.option("--iri-base", default=None,
              help="cmi5: base IRI of the course, AU and question IRIs "
                   "(default https://packager.example/courses/).")
@click.option("--lti-url", default=None,
              help="cc: public URL of the LTI tool server the cartridge's links launch.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def build(course_dirs: tuple[str, ...], targets: tuple[str, ...], out_dir: str,
          version: str | None, strict: bool, force: bool, jobs: int | None, sco: str,
          profile: str, mastery: bool, au: str, iri_base: str | None, lti_url: str | None,
          fmt: str) -> None:
    """Build packages of one or more courses (or a folder of courses) into --out."""
    options = {"sco": sco, "profile": profile, "mastery": mastery, "au": au,
               "iri_base": iri_base, "lti_url": lti_url}
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


@cli.group()
def lti() -> None:
    """LTI 1.3 tool server: serve `--target lti` bundles to any LMS."""


@lti.command("serve")
@click.option("--bundles", type=click.Path(file_okay=False), default="dist", show_default=True,
              help="Folder of *-lti.zip bundles.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--config", "platforms", type=click.Path(dir_okay=False), default=None,
              help="Platform registrations (pylti1p3 ToolConfJsonFile format).")
@click.option("--keys", "keys_dir", type=click.Path(file_okay=False), default="keys",
              show_default=True, help="Folder of the tool's key pair (packager lti keys).")
@click.option("--db", default="sqlite:///instance/lti.sqlite", show_default=True,
              help="SQLAlchemy URL (e.g. postgresql+psycopg://...).")
@click.option("--redis", default=None, help="Redis URL for the launch cache (several processes).")
@click.option("--base-url", default=None, help="Public URL when behind a proxy.")
@click.option("--proxy-fix", default=0, type=int, help="Trusted proxies (X-Forwarded-*).")
def lti_serve(bundles: str, host: str, port: int, platforms: str | None, keys_dir: str, db: str,
              redis: str | None, base_url: str | None, proxy_fix: int) -> None:
    """Run the tool server (development server; see the admin guide for gunicorn)."""
    from pathlib import Path

    from packager.lti.config import ToolSettings
    from packager.lti.server import serve

    serve(ToolSettings(bundles=Path(bundles), platforms=Path(platforms) if platforms else None,
                       keys=Path(keys_dir), db=db, redis=redis, base_url=base_url,
                       proxy_fix=proxy_fix), host, port, echo=click.echo)


@lti.command("keys")
@click.option("--dir", "keys_dir", type=click.Path(file_okay=False), default="keys",
              show_default=True, help="Where the key pair is kept (outside git).")
@click.option("--rotate", is_flag=True, help="Make a new active key; the old kid stays published.")
@click.option("--retire", default=None, help="Stop publishing an old kid.")
def lti_keys(keys_dir: str, rotate: bool, retire: str | None) -> None:
    """Create the tool's RSA key pair (mode 600), rotate it or retire an old one."""
    from packager.lti.server import keys

    key, published = keys(keys_dir, rotate=rotate, retire=retire)
    click.echo(f"active kid {key.kid}; published: {', '.join(published)}")


@cli.command("certificate-code")
@click.argument("course_dir", type=click.Path())
@click.option("--learner", required=True, help="The name printed on the certificate.")
@click.option("--date", "completed_on", required=True, help="Completion date, YYYY-MM-DD.")
@click.option("--code", default=None, help="A code to verify (exit 1 when it does not match).")
def certificate_code(course_dir: str, learner: str, completed_on: str, code: str | None) -> None:
    """Print (or verify) the verification code of a completion certificate."""
    expected = api.certificate_code(course_dir, learner, completed_on)
    if code is None:
        click.echo(expected)
        return
    matches = code.strip().upper() == expected
    click.echo("valid" if matches else f"NOT valid (expected {expected})")
    sys.exit(0 if matches else 1)


@cli.command()
@click.argument("course_dir", type=click.Path(file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=8040, show_default=True,
              help="Port on 127.0.0.1 (0 picks a free one).")
@click.option("--open/--no-open", "open_browser", default=True, show_default=True,
              help="Open the inspector in a browser.")
def preview(course_dir: str, port: int, open_browser: bool) -> None:
    """Serve the course with live reload inside an LMS inspector (builds in memory)."""
    from packager.preview import serve  # watchfiles and the server load only for this command

    serve(course_dir, port=port, open_browser=open_browser)


def main() -> None:
    cli(prog_name="packager")
