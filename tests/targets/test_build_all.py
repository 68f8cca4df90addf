"""One behaviour suite run against every registered target."""

from __future__ import annotations

import fnmatch
import hashlib
import zipfile

import pytest

from packager import api
from packager.targets import get_target, target_names
from tests.conftest import ETHICS, ROOTS

TARGETS = target_names()


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("course", [ROOTS / "basic", ETHICS], ids=["basic", "ethics"])
def test_rebuild_is_byte_identical(tmp_path, target, course):
    (a,) = api.build(course, [target], tmp_path / "a")
    (b,) = api.build(course, [target], tmp_path / "b")
    assert a.path.name == b.path.name
    assert a.path.name.endswith(f"-{target}.zip")
    assert sha256(a.path) == sha256(b.path) == a.sha256


@pytest.mark.parametrize("target", TARGETS)
def test_package_hygiene(tmp_path, target):
    (artifact,) = api.build(ROOTS / "basic", [target], tmp_path)
    with zipfile.ZipFile(artifact.path) as zf:
        names = zf.namelist()
        assert names == sorted(names) and len(names) == len(set(names))
        for info in zf.infolist():
            assert not info.filename.startswith("/") and ".." not in info.filename.split("/")
            assert "\\" not in info.filename
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert zf.testzip() is None


@pytest.mark.parametrize("target", TARGETS)
def test_answer_key_is_not_readable_in_the_page(tmp_path, target):
    """The text answer of the basic course must not appear in anything a browser loads."""
    (artifact,) = api.build(ROOTS / "basic", [target], tmp_path)
    server_only = set(getattr(get_target(target), "server_side_files", ()))
    with zipfile.ZipFile(artifact.path) as zf:
        for name in zf.namelist():
            # server_side_files may hold glob patterns: "*" for a package no browser loads (QTI)
            if any(fnmatch.fnmatchcase(name, p) for p in server_only) or \
                    not name.endswith((".html", ".js", ".json", ".xml")):
                continue
            text = zf.read(name).decode("utf-8", "replace").lower()
            assert "tarasoff v. regents" not in text, name
            assert '"correct": true' not in text and '"correct":true' not in text, name
