"""The course bundles a tool server serves: `packager build --target lti` zips in one folder."""

from __future__ import annotations

import json
import mimetypes
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packager.lti.grading import Course

PRIVATE = frozenset({"answerkey.json", "course.json"})  # never served to a browser


def _semver(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in version.split("-")[0].split("."))
    except ValueError:
        return (0,)


@dataclass
class Bundle:
    """One course version: its metadata, documents and the answer key."""

    path: Path
    meta: dict[str, Any]
    key: dict[str, dict[str, Any]]
    _zip: zipfile.ZipFile = field(repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def id(self) -> str:
        return self.meta["id"]

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def title(self) -> str:
        return self.meta["title"]

    def module(self, module_id: str) -> dict[str, Any] | None:
        return next((m for m in self.meta["modules"] if m["id"] == module_id), None)

    def course(self, document: str) -> Course:
        return Course(self.meta["documents"][document], self.key)

    def read(self, name: str) -> bytes | None:
        """A file a browser may load (never the key or the metadata)."""
        if name in PRIVATE or name.endswith("/") or ".." in name.split("/"):
            return None
        with self._lock:
            try:
                return self._zip.read(name)
            except KeyError:
                return None

    @staticmethod
    def mimetype(name: str) -> str:
        return mimetypes.guess_type(name)[0] or "application/octet-stream"


def open_bundle(path: Path) -> Bundle:
    zf = zipfile.ZipFile(path)
    meta = json.loads(zf.read("course.json"))
    key = json.loads(zf.read("answerkey.json"))
    return Bundle(path, meta, key, zf)


class Library:
    """Every bundle in a folder, re-scanned when the folder changes; the newest version wins."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self._stamp: tuple[tuple[str, float], ...] | None = None
        self._bundles: dict[tuple[str, str], Bundle] = {}
        self._lock = threading.Lock()

    def _scan(self) -> None:
        files = sorted(self.folder.glob("*-lti.zip"))
        stamp = tuple((p.name, p.stat().st_mtime) for p in files)
        if stamp == self._stamp:
            return
        bundles = {}
        for path in files:
            bundle = open_bundle(path)
            bundles[(bundle.id, bundle.version)] = bundle
        self._bundles, self._stamp = bundles, stamp

    def all(self) -> list[Bundle]:
        """The newest version of each course, by title."""
        with self._lock:
            self._scan()
            newest: dict[str, Bundle] = {}
            for bundle in self._bundles.values():
                best = newest.get(bundle.id)
                if best is None or _semver(bundle.version) > _semver(best.version):
                    newest[bundle.id] = bundle
        return sorted(newest.values(), key=lambda b: b.title)

    def get(self, course_id: str, version: str | None = None) -> Bundle | None:
        if version:
            with self._lock:
                self._scan()
                return self._bundles.get((course_id, version))
        return next((b for b in self.all() if b.id == course_id), None)
