"""Build benchmark: each target against the zip floor, interleaved, median of N runs.

    python bench/run.py --size medium

Every measured command runs in a child process; wall time comes from the clock, CPU time
(user + sys) and peak RSS from os.wait4, so they cover the child and anything it waited for.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from bench.generate import CACHE, ensure, ensure_batch  # noqa: E402
from packager.targets import target_names  # noqa: E402
from packager.zipwriter import STORED_SUFFIXES  # noqa: E402

PACKAGER = [sys.executable, "-m", "packager"]
ZIP_STORED_ARG = ":".join(sorted(STORED_SUFFIXES))


@dataclass
class Sample:
    """One measured run of one command."""

    wall: float
    cpu: float
    rss_mb: float
    stdout: str = ""


@dataclass
class Series:
    """Every run of one command, summarised as median and spread."""

    label: str
    samples: list[Sample] = field(default_factory=list)

    def stat(self, attr: str) -> tuple[float, float, float]:
        values = sorted(getattr(s, attr) for s in self.samples)
        return statistics.median(values), values[0], values[-1]

    def fmt(self, attr: str, unit: str = "s") -> str:
        med, low, high = self.stat(attr)
        if unit == "MB":
            return f"{med:.0f} MB" if low == high or high - low < 1 else \
                f"{med:.0f} ({low:.0f}–{high:.0f})"
        return f"{med:.2f} ({low:.2f}–{high:.2f})"

    def median(self, attr: str = "wall") -> float:
        return self.stat(attr)[0]


def measure(cmd: list[str], cwd: Path | None = None, out_file: Path | None = None) -> Sample:
    """Run ``cmd`` to completion; clock its wall time and read its rusage from wait4."""
    out_file = out_file or CACHE / "last.out"
    err_file = out_file.with_suffix(".err")
    with out_file.open("wb") as out, err_file.open("wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} exited {proc.returncode}: "
                           f"{err_file.read_text(errors='replace')[-2000:]}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
                  out_file.read_text(errors="replace"))


def clear(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def stage(package: Path, course: Path, folder: Path) -> int:
    """The package's files as a folder for the floors: assets hard-linked, the rest extracted.

    Hard links share the page cache with the course, so the floors read exactly what the
    packager reads. Returns the number of files.
    """
    clear(folder)
    with zipfile.ZipFile(package) as zf:
        infos = zf.infolist()
        for info in infos:
            dest = folder / info.filename
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = course / info.filename
            if src.is_file() and src.stat().st_size == info.file_size:
                os.link(src, dest)
            else:
                dest.write_bytes(zf.read(info))
    return len(infos)


def build_cmd(course: Path | str, targets: list[str], out: Path, *extra: str) -> list[str]:
    cmd = [*PACKAGER, "build", str(course), "--out", str(out), "--format", "json", *extra]
    for t in targets:
        cmd += ["--target", t]
    return cmd


def usable_targets(course: Path, work: Path, wanted: list[str]) -> tuple[list[str], dict]:
    """Build each target once (warming caches); a target the course cannot meet is skipped."""
    ok, skipped = [], {}
    for target in wanted:
        out = work / f"warm-{target}"
        clear(out)
        try:
            measure(build_cmd(course, [target], out, "--force"), out_file=work / "warm.json")
            ok.append(target)
        except RuntimeError as exc:
            skipped[target] = _failure(work / "warm.json") or str(exc)[-300:]
    return ok, skipped


def _failure(report: Path) -> str:
    """The first diagnostic of a failed ``--format json`` build, without its location."""
    try:
        failures = json.loads(report.read_text())["failures"]
        return failures[0]["diagnostics"][0]["message"]
    except (OSError, ValueError, KeyError, IndexError):
        return ""


def artifact_seconds(text: str) -> dict[str, float]:
    return {a["target"]: a["seconds"] for a in json.loads(text)["artifacts"]}


def run(args: argparse.Namespace) -> dict:
    # Measure packager as installed: with its bytecode, which an editable install lacks after
    # an edit, and which PYTHONDONTWRITEBYTECODE (set on some machines) never lets it write.
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "packager", quiet=1)
    course = ensure(args.size, args.seed)
    work = CACHE / f"work-{args.size}"
    work.mkdir(parents=True, exist_ok=True)
    wanted = args.targets.split(",") if args.targets else target_names()
    print(f"course {course} ({args.size}); warming up and staging floors ...", file=sys.stderr)
    targets, skipped = usable_targets(course, work, wanted)
    stages = {}
    for t in targets:
        package = next((work / f"warm-{t}").glob("*.zip"))
        stages[t] = (work / f"stage-{t}", stage(package, course, work / f"stage-{t}"),
                     package.stat().st_size)
        clear(work / f"warm-{t}")  # staged: the package itself is no longer needed
    noop_out = work / "noop"
    clear(noop_out)
    measure(build_cmd(course, targets, noop_out), out_file=work / "noop.json")
    batch_dir = ensure_batch(args.batch, "batch", args.seed) if args.batch else None

    series: dict[str, Series] = {}
    jobs: list[tuple[str, list[str], Path, Path | None]] = []  # key, cmd, output, cwd
    for t in targets:
        out = work / f"out-{t}"
        jobs.append((f"pkg:{t}", build_cmd(course, [t], out, "--force"), out, None))
        floor_zip = work / f"floor-{t}.zip"
        jobs.append((f"pyzip:{t}", [sys.executable, str(HERE / "floor.py"), str(stages[t][0]),
                                    str(floor_zip), ",".join(sorted(STORED_SUFFIXES))],
                     floor_zip, None))
        if not args.no_zip:
            zip_out = work / f"zip-{t}.zip"
            jobs.append((f"zip:{t}", ["zip", "-q", "-r", "-X", "-n", ZIP_STORED_ARG,
                                      str(zip_out), "."], zip_out, stages[t][0]))
    all_out = work / "out-all"
    if not args.no_all:
        jobs.append(("all", build_cmd(course, targets, all_out, "--force"), all_out, None))
    jobs.append(("noop", build_cmd(course, targets, noop_out), work / "none", None))
    jobs.append(("noop:web", build_cmd(course, ["web"], noop_out), work / "none", None))
    if batch_dir:
        for j in (1, 2):
            out = work / f"batch-j{j}"
            jobs.append((f"batch:j{j}", build_cmd(batch_dir, ["all"], out, "--force", "-j",
                                                  str(j)), out, None))
    rng = random.Random(args.seed)
    load_before = os.getloadavg()
    for round_no in range(args.runs):
        order = jobs[:]
        rng.shuffle(order)  # interleaved: background load hits every command alike
        print(f"round {round_no + 1}/{args.runs}", file=sys.stderr)
        for key, cmd, out, cwd in order:
            if key.startswith("noop"):
                sample = measure(cmd, cwd, out_file=work / "last.json")
                if any(a["rebuilt"] for a in json.loads(sample.stdout)["artifacts"]):
                    # someone changed the runtime or templates mid-run: not a no-op
                    print(f"{key}: rebuilt (sources changed); sample dropped", file=sys.stderr)
                    continue
            else:
                clear(out)
                sample = measure(cmd, cwd, out_file=work / "last.json")
                clear(out)
            series.setdefault(key, Series(key)).samples.append(sample)
    load_after = os.getloadavg()
    return {"course": str(course), "size": args.size, "runs": args.runs, "targets": targets,
            "skipped": skipped, "stages": {t: [n, size] for t, (_, n, size) in stages.items()},
            "series": series, "load": [load_before, load_after],
            "batch": args.batch}


def table(result: dict) -> str:
    """The results as Markdown."""
    s: dict[str, Series] = result["series"]
    lines = [f"### {result['size']} course: median of {result['runs']} interleaved runs "
             "(min–max)", "",
             f"Machine: {os.cpu_count()} cores, "
             f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, "
             f"Python {platform.python_version()}; load average before/after: "
             f"{result['load'][0][0]:.2f} / {result['load'][1][0]:.2f}", "",
             "| target | files | package | packager wall s | zipfile floor wall s | **wall ratio** "
             "| zip -r wall s | ratio | packager CPU s | floor CPU s | CPU ratio | peak RSS |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    floor_sum = floor_cpu = 0.0
    for t in result["targets"]:
        pkg, py, zp = s[f"pkg:{t}"], s[f"pyzip:{t}"], s.get(f"zip:{t}")
        files, size = result["stages"][t]
        floor_sum += py.median()
        floor_cpu += py.median("cpu")
        lines.append(
            f"| {t} | {files} | {size / 2**20:.1f} MB | {pkg.fmt('wall')} | {py.fmt('wall')} | "
            f"**{pkg.median() / py.median():.2f}x** | {zp.fmt('wall') if zp else '–'} | "
            f"{f'{pkg.median() / zp.median():.2f}x' if zp else '–'} | {pkg.median('cpu'):.2f} | "
            f"{py.median('cpu'):.2f} | {pkg.median('cpu') / py.median('cpu'):.2f}x | "
            f"{pkg.fmt('rss_mb', 'MB')} |")
    for t, why in result["skipped"].items():
        lines.append(f"| {t} | – | – | not built: {why} | | | | | | | | |")
    if "all" in s:
        a = s["all"]
        label = "all" if not result["skipped"] else f"all buildable ({len(result['targets'])})"
        lines.append(f"| **--target {label}** | | | {a.fmt('wall')} | {floor_sum:.2f} (sum) | "
                     f"**{a.median() / floor_sum:.2f}x** | | | {a.median('cpu'):.2f} | "
                     f"{floor_cpu:.2f} (sum) | {a.median('cpu') / floor_cpu:.2f}x | "
                     f"{a.fmt('rss_mb', 'MB')} |")
        lines += ["", "Inside one `--target all` run, each package's own time (write + hash; the "
                  "first also parses templates and renders) against its floor:", "",
                  "| target | seconds in `all` (median) | zipfile floor s | ratio |",
                  "|---|---:|---:|---:|"]
        per = [artifact_seconds(x.stdout) for x in a.samples]
        for t in result["targets"]:
            med = statistics.median(p[t] for p in per)
            floor = s[f"pyzip:{t}"].median()
            lines.append(f"| {t} | {med:.2f} | {floor:.2f} | {med / floor:.2f}x |")
    lines += ["", "| other | wall s | CPU s | peak RSS MB |", "|---|---:|---:|---:|"]
    for key, label in (("noop", "no-op rebuild, every target above"),
                       ("noop:web", "no-op rebuild, web"),
                       ("batch:j1", f"batch: {result['batch']} courses x every target, -j 1"),
                       ("batch:j2", f"batch: {result['batch']} courses x every target, -j 2")):
        if key in s:
            x = s[key]
            lines.append(f"| {label} | {x.fmt('wall')} | {x.median('cpu'):.2f} | "
                         f"{x.fmt('rss_mb', 'MB')} |")
    if "batch:j1" in s and "batch:j2" in s:
        j1, j2 = s["batch:j1"], s["batch:j2"]
        lines += ["", f"Batch: -j 2 is {j1.median() / j2.median():.2f}x faster than -j 1; "
                  f"CPU/wall with -j 2 = {j2.median('cpu') / j2.median():.2f} cores busy "
                  f"(-j 1: {j1.median('cpu') / j1.median():.2f})."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time packager builds against the zip floor.")
    parser.add_argument("--size", choices=["tiny", "small", "medium", "large"],
                        default="medium")
    parser.add_argument("--runs", type=int, default=5, help="runs per command (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--targets", default="", help="comma-separated (default: every target)")
    parser.add_argument("--no-zip", action="store_true", help="skip the zip -r floor")
    parser.add_argument("--no-all", action="store_true", help="skip the --target all runs")
    parser.add_argument("--batch", type=int, default=4,
                        help="courses in the batch benchmark (0 to skip)")
    args = parser.parse_args(argv)
    result = run(args)
    text = table(result)
    print(text)
    (CACHE / f"results-{args.size}.md").write_text(text)
    raw = {k: v for k, v in result.items() if k != "series"}
    raw["series"] = {k: [[x.wall, x.cpu, x.rss_mb] for x in v.samples]
                     for k, v in result["series"].items()}
    (CACHE / f"results-{args.size}.json").write_text(json.dumps(raw, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
