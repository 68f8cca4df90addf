"""Build faults: kill -9 mid-build leaves dist/ as it was; a full disk is a clean error."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.generate import Spec, generate
from tests.conftest import ROOT

# Big enough that writing the package takes a while, small enough to generate in a blink.
SPEC = Spec(modules=4, pages=40, questions=30, media_bytes=48 << 20)
PACKAGER = [sys.executable, "-m", "packager"]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), packager temp files excepted."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not is_temp(p)}


def is_temp(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(".tmp")


def temps(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if is_temp(p))


def build(course: Path, out: Path, *targets: str, force: bool = True,
          env: dict[str, str] | None = None, **kw) -> subprocess.CompletedProcess[str]:
    cmd = [*PACKAGER, "build", str(course), "--out", str(out)]
    for t in targets or ("web",):
        cmd += ["--target", t]
    if force:
        cmd.append("--force")
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                          **kw)


@pytest.fixture(scope="module")
def courses(tmp_path_factory) -> tuple[Path, Path]:
    """The same course twice: as first released, and with one page more (new bytes)."""
    base = tmp_path_factory.mktemp("faults")
    old = generate(base / "old" / "bench", SPEC, seed=7)
    new = generate(base / "new" / "bench", SPEC, seed=7)
    first = new / "modules" / "001-module.md"
    first.write_text(first.read_text() + "\n# A page added later\n\nNew text.\n")
    # ~700 KB of Markdown: the loader forks its parsers, which marks the "parsing" kill point.
    second = new / "modules" / "002-module.md"
    second.write_text(second.read_text() + "\n# A long page\n\n"
                      + "Consent, confidentiality and boundaries, again.\n\n" * 14000)
    return old, new


@pytest.fixture(scope="module")
def released(courses, tmp_path_factory) -> Path:
    """A dist/ holding the old course's packages (and the batch cache records)."""
    dist = tmp_path_factory.mktemp("released")
    result = build(courses[0], dist, "web", "scorm2004")
    assert result.returncode == 0, result.stderr
    (dist / "notes.txt").write_text("a file that is not ours must survive too\n")
    return dist


@pytest.fixture(scope="module")
def fresh(courses, tmp_path_factory) -> dict[str, bytes]:
    """What a complete build of the new course produces."""
    dist = tmp_path_factory.mktemp("fresh")
    result = build(courses[1], dist, "web", "scorm2004")
    assert result.returncode == 0, result.stderr
    return {p.name: p.read_bytes() for p in dist.glob("*.zip")}


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def copy_tree(src: Path, dest: Path) -> Path:
    for path in sorted(src.rglob("*")):
        target = dest / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())
    return dest


def kill_when(proc: subprocess.Popen, dist: Path, ready, timeout: float = 60) -> str:
    """Poll ``dist`` until ``ready(temp files)`` holds, then SIGKILL; returns what was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return "finished before the kill point"
        found = [(p, p.stat().st_size) for p in temps(dist) if p.exists()]
        if ready(found):
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return f"killed with {[(p.name, n) for p, n in found]}"
        time.sleep(0.002)
    proc.kill()
    proc.wait()
    pytest.fail("the kill point never came")


# Kill points: while parsing (before any temp exists), as the first temp appears, and with
# the package written a third, two thirds and five sixths of the way.
POINTS = {
    "parsing": lambda found: False,
    "temp-created": lambda found: bool(found),
    "third": lambda found: any(n > (16 << 20) for _, n in found),
    "two-thirds": lambda found: any(n > (32 << 20) for _, n in found),
    # not later: on an idle machine the last megabytes go by between two polls
    "nearly-done": lambda found: any(n > (40 << 20) for _, n in found),
}


@pytest.mark.parametrize("point", list(POINTS))
def test_kill_9_mid_build_leaves_dist_as_it_was(point, courses, released, fresh, tmp_path):
    dist = copy_tree(released, tmp_path / "dist")
    before = snapshot(dist)
    listing = sorted(p.name for p in dist.iterdir())
    proc = subprocess.Popen([*PACKAGER, "build", str(courses[1]), "--out", str(dist),
                             "--target", "web", "--force"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if point == "parsing":
        # A child of the build is a forked parser: the loader is reading the course.
        deadline = time.monotonic() + 60
        while not children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        assert children(proc.pid), "the build never forked its parsers"
        assert not temps(dist), "a temp file appeared before the course was even parsed"
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = "killed while parsing"
    else:
        seen = kill_when(proc, dist, POINTS[point])
    assert proc.returncode == -signal.SIGKILL, seen
    # What a user sees is byte for byte what was there before the build.
    assert snapshot(dist) == before, seen
    leftovers = temps(dist)
    assert sorted(p.name for p in dist.iterdir() if p not in leftovers) == listing
    for path in leftovers:  # only the killed writer's own temp file, hidden
        assert path.name.startswith(".bench-1.0.0-web.zip.") and f".{proc.pid}." in path.name
    # The next build sweeps the dead writer's temp file and writes the new package.
    again = build(courses[1], dist, "web")
    assert again.returncode == 0, again.stderr
    assert temps(dist) == []
    assert (dist / "bench-1.0.0-web.zip").read_bytes() == fresh["bench-1.0.0-web.zip"]
    assert (dist / "bench-1.0.0-scorm2004.zip").read_bytes() == before[
        "bench-1.0.0-scorm2004.zip"]


def test_kill_9_during_a_multi_target_build_leaves_only_whole_packages(courses, released,
                                                                       fresh, tmp_path):
    dist = copy_tree(released, tmp_path / "dist")
    before = snapshot(dist)
    proc = subprocess.Popen([*PACKAGER, "build", str(courses[1]), "--out", str(dist),
                             "--target", "web", "--target", "scorm2004", "--force"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Wait for the second package's temp file: the first package is renamed into place.
    seen = kill_when(proc, dist, lambda found: any("scorm2004" in p.name and n > (20 << 20)
                                                   for p, n in found))
    after = snapshot(dist)
    assert after.keys() == before.keys(), seen
    for name, data in after.items():
        assert data in (before[name], fresh.get(name)), f"{name} is neither old nor new"
    assert after["bench-1.0.0-scorm2004.zip"] == before["bench-1.0.0-scorm2004.zip"]
    for name in ("bench-1.0.0-web.zip", "bench-1.0.0-scorm2004.zip"):
        with zipfile.ZipFile(dist / name) as zf:
            assert zf.testzip() is None


# -- a full disk ---------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path) -> Iterator[tuple[Path, dict[str, str] | None]]:
    """A 2 MB tmpfs as the output folder; where mounting is not allowed, a 2 MB file-size
    limit on the build (EFBIG instead of ENOSPC, through the same code path)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode == 0:
        try:
            yield mount, None
        finally:
            subprocess.run(["umount", str(mount)], check=True)
        return
    print(f"\nmount -t tmpfs not permitted ({done.stderr.strip()}); using RLIMIT_FSIZE=2MB")
    yield mount, {"limit_fsize": str(2 << 20)}


def _limited(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def test_full_disk_is_a_clean_error_and_leaves_no_partial_file(courses, small_disk):
    disk, fallback = small_disk
    (disk / "keep.txt").write_text("already here\n")
    kw = {"preexec_fn": _limited(int(fallback["limit_fsize"]))} if fallback else {}
    result = build(courses[1], disk, "web", **kw)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "cannot write" in result.stderr
    assert ("No space left on device" in result.stderr if not fallback
            else "File too large" in result.stderr), result.stderr
    assert sorted(p.name for p in disk.rglob("*")) == ["keep.txt"]
    assert (disk / "keep.txt").read_text() == "already here\n"


def test_full_disk_with_room_for_the_package_but_not_the_record(tmp_path, small_disk):
    """A package that fits, then no room for the up-to-date record: still a clean outcome."""
    disk, fallback = small_disk
    course = generate(tmp_path / "tiny" / "bench", Spec(2, 6, 4, 1_700_000), seed=3)
    kw = {"preexec_fn": _limited(int(fallback["limit_fsize"]))} if fallback else {}
    result = build(course, disk, "web", **kw)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.returncode in (0, 1), result.stderr
    assert temps(disk) == []
    for package in disk.glob("*.zip"):
        with zipfile.ZipFile(package) as zf:
            assert zf.testzip() is None


def test_output_folder_that_cannot_be_created_is_a_clean_error(courses, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = build(courses[1], blocker / "dist", "web")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "cannot write" in result.stderr or "Not a directory" in result.stderr


def test_stale_temp_of_a_live_writer_is_not_swept(courses, released, tmp_path):
    """Only dead writers' temp files go: a concurrent build's file must survive."""
    dist = copy_tree(released, tmp_path / "dist")
    live = dist / f".bench-1.0.0-web.zip.{os.getppid()}.abcd1234.tmp"  # our parent: alive
    live.write_bytes(b"in progress")
    dead = dist / ".bench-1.0.0-web.zip.999999999.abcd1234.tmp"
    dead.write_bytes(b"left by a killed build")
    result = build(courses[1], dist, "web")
    assert result.returncode == 0, result.stderr
    assert live.exists() and not dead.exists()
