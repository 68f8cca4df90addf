"""The floor: Python's zipfile writing a folder's files (media stored, text deflated)."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def write_floor(folder: Path, out: Path, stored: frozenset[str]) -> None:
    """Zip every file under ``folder`` into ``out``, nothing more (no fsync, no hashing)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(out, "w", allowZip64=True) as zf:
        for path in files:
            method = zipfile.ZIP_STORED if path.suffix.lower() in stored else zipfile.ZIP_DEFLATED
            zf.write(path, path.relative_to(folder).as_posix(), compress_type=method)


if __name__ == "__main__":
    # The stored suffixes come from the caller (packager.zipwriter's list), so both writers
    # compress exactly the same files, without this process paying for importing packager.
    if len(sys.argv) != 4:
        sys.exit("usage: floor.py FOLDER OUT.zip .jpg,.png,...")
    write_floor(Path(sys.argv[1]), Path(sys.argv[2]), frozenset(sys.argv[3].split(",")))
