"""Deterministic zips: sorted entries, fixed times and modes, atomic replace of the output."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packager.diagnostics import PackagerError

# Formats that are already compressed: deflating them again only burns CPU.
STORED_SUFFIXES = frozenset({
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".mp3", ".m4a", ".aac", ".ogg", ".oga",
    ".opus", ".mp4", ".m4v", ".webm", ".ogv", ".mov", ".zip", ".gz", ".bz2", ".xz", ".7z",
    ".woff", ".woff2", ".pdf", ".docx", ".xlsx", ".pptx",
})
FIXED_EPOCH = 315532800  # 1980-01-01T00:00:00Z, the earliest time a zip can hold
CHUNK = 1 << 20
# Temp files are ".<output name>.<pid>.<random>.tmp" beside the output: the pid lets a later
# build remove the leftovers of a writer that was killed (kill -9 cannot clean up).
_TEMP = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)\.[A-Za-z0-9_]+\.tmp$")


def build_timestamp() -> tuple[int, int, int, int, int, int]:
    """The time stamped on every entry: SOURCE_DATE_EPOCH when set, else a fixed date."""
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    try:
        epoch = max(int(raw), FIXED_EPOCH) if raw else FIXED_EPOCH
    except ValueError as exc:
        raise PackagerError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {raw!r}"
                            ) from exc
    return time.gmtime(epoch)[:6]


@dataclass(frozen=True)
class Entry:
    """A file to put in a package: either bytes in memory or a file streamed from disk."""

    name: str
    data: bytes | None = None
    source: Path | None = None


def _zipinfo(name: str, stamp: tuple[int, int, int, int, int, int]) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.create_system = 3  # unix, so external_attr carries the mode
    info.external_attr = (0o100644 & 0xFFFF) << 16
    stored = Path(name).suffix.lower() in STORED_SUFFIXES
    info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    return info


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True


def sweep_stale_temps(folder: Path) -> list[Path]:
    """Remove temp files left in ``folder`` by writers that no longer run; returns them."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = _TEMP.match(name)
        if match and int(match["pid"]) != os.getpid() and not _alive(int(match["pid"])):
            try:
                (folder / name).unlink()
                removed.append(folder / name)
            except OSError:
                pass  # gone already, or not ours to remove: never fail a build over it
    return removed


class _TrailingHasher(threading.Thread):
    """Hashes the zip as it is written, one entry behind the writer, on the other core.

    zipfile goes back only to rewrite the local header of the entry it is closing, so every
    byte before that entry is final: hashing up to there saves reading the package back.
    """

    def __init__(self, path: Path, digest: hashlib._Hash):
        super().__init__(name="zip-hasher", daemon=True)
        self.fd: int | None = os.open(path, os.O_RDONLY)
        self.digest = digest
        self.done = 0  # bytes hashed
        self.limit = 0  # bytes known to be final
        self.closing = False
        self.abandoned = False
        self.error: BaseException | None = None
        self.cond = threading.Condition()

    def advance(self, upto: int) -> None:
        with self.cond:
            self.limit = upto
            self.cond.notify()

    def run(self) -> None:
        view = memoryview(bytearray(CHUNK))  # reused: a fresh 1 MB object per read costs more
        try:
            while True:
                with self.cond:
                    while self.done >= self.limit and not self.closing:
                        self.cond.wait()
                    limit, closing = self.limit, self.closing
                while self.done < limit and not self.abandoned:
                    assert self.fd is not None
                    n = os.preadv(self.fd, [view[:min(CHUNK, limit - self.done)]], self.done)
                    if not n:
                        raise OSError("the package shrank while it was hashed")
                    self.digest.update(view[:n])
                    self.done += n
                if self.abandoned or (closing and self.done >= limit):
                    return
        except BaseException as exc:  # handed to the writer's thread by finish()
            self.error = exc

    def finish(self, size: int | None) -> None:
        """Hash up to ``size``, the final length, and stop; None abandons the hash."""
        if self.fd is None:
            return
        with self.cond:
            if size is None:
                self.abandoned = True
            else:
                self.limit = size
            self.closing = True
            self.cond.notify()
        self.join()
        os.close(self.fd)
        self.fd = None
        if self.error is not None and size is not None:
            raise OSError(f"cannot hash the package: {self.error}") from self.error


def write_zip(path: Path, entries: list[Entry], digest: hashlib._Hash | None = None) -> Path:
    """Write entries to ``path`` atomically: a temp file in the same folder, then rename.

    A failure or interruption leaves any previous file at ``path`` untouched. With
    ``digest`` (e.g. hashlib.sha256()), it is fed the package's bytes while they are written.
    """
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise PackagerError(f"internal: duplicate package entries {dupes}")
    stamp = build_timestamp()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        sweep_stale_temps(path.parent)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                                        dir=path.parent)
    except OSError as exc:
        raise PackagerError(f"cannot write {path}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    hasher: _TrailingHasher | None = None
    size: int | None = None
    buffer = bytearray(CHUNK)  # one buffer for every streamed file: ~15% faster than
    view = memoryview(buffer)  # shutil.copyfileobj, which allocates a new chunk per read
    try:
        with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", allowZip64=True) as zf:
            if digest is not None:
                hasher = _TrailingHasher(tmp, digest)
                hasher.start()
            for entry in sorted(entries, key=lambda e: e.name):
                info = _zipinfo(entry.name, stamp)
                if entry.data is not None:
                    zf.writestr(info, entry.data)
                else:
                    assert entry.source is not None
                    info.file_size = entry.source.stat().st_size
                    # file_size set up front lets zipfile pick zip64 only when needed
                    with entry.source.open("rb", buffering=0) as src, \
                            zf.open(info, "w") as dst:
                        while n := src.readinto(buffer):
                            dst.write(view[:n])
                if hasher is not None:
                    raw.flush()
                    hasher.advance(raw.tell())  # this entry is closed: its bytes are final
            zf.close()
            raw.flush()
            size = raw.tell()
        if hasher is not None:
            hasher.finish(size)
        # No fsync: the rename is what makes the swap atomic for every reader and for a
        # killed build. Waiting for hundreds of megabytes to reach the disk guards only
        # against power loss, and costs a disk round trip per package (0-1 s per 200 MB here,
        # the most when other jobs write too, as on CI runners).
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PackagerError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if hasher is not None:
            hasher.finish(None)
    return path
