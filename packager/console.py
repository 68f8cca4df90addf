"""Terminal output for the CLI: rich progress on a terminal, plain lines otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from packager.batch import BatchResult, Progress


@contextmanager
def progress_display(enabled: bool = True) -> Iterator[Progress | None]:
    """Yield a progress callback: a rich bar on a TTY, one plain line per event elsewhere."""
    if not enabled:
        yield None
        return
    if not sys.stderr.isatty():
        def plain(course: str, event: str) -> None:
            if event != "start":
                click.echo(f"{course}: {event}", err=True)
        yield plain
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
    from rich.progress import Progress as Bar

    with Bar(TextColumn("[bold]building"), BarColumn(), MofNCompleteColumn(),
             TextColumn("{task.description}"), console=Console(stderr=True),
             transient=True) as bar:
        task = bar.add_task("", total=None)
        started: set[str] = set()

        def fancy(course: str, event: str) -> None:
            if event == "start":
                started.add(course)
                bar.update(task, total=len(started))
            else:
                bar.update(task, advance=1, description=f"{course} {event}")
        yield fancy


def print_build_result(result: BatchResult) -> None:
    """Warnings and errors as path:line:col lines, then one line per package."""
    for failure in result.failures:
        for diag in failure.diagnostics:
            click.echo(diag.format(), err=True)
        click.echo(f"{failure.path}: FAILED: {failure.message}", err=True)
    shown: set[str] = set()
    for artifact in result.artifacts:
        for warning in artifact.warnings:
            text = warning.format()
            if text not in shown:
                shown.add(text)
                click.echo(text, err=True)
        state = "up to date" if artifact.cached else f"built in {artifact.seconds:.2f}s"
        click.echo(f"{artifact.path}  {artifact.size:,} bytes  sha256 {artifact.sha256[:12]}  "
                   f"({state})")
    if result.artifacts and all(a.cached for a in result.artifacts):
        click.echo("nothing to rebuild: every package is up to date (use --force to rebuild)",
                   err=True)
