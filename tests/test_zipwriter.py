"""The packaging core: byte-identical, sorted, fixed times and modes, streamed, atomic."""

from __future__ import annotations

import os
import tracemalloc
import zipfile

import pytest

from packager.diagnostics import PackagerError
from packager.zipwriter import Entry, write_zip


def test_entries_sorted_with_fixed_time_and_mode(tmp_path):
    media = tmp_path / "clip.mp4"
    media.write_bytes(os.urandom(5000))
    path = write_zip(tmp_path / "out.zip", [
        Entry("z.html", b"<p>z</p>" * 100), Entry("assets/clip.mp4", source=media),
        Entry("a.js", b"var a;" * 100),
    ])
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == ["a.js", "assets/clip.mp4", "z.html"]
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {i.external_attr >> 16 for i in infos} == {0o100644}
        kinds = {i.filename: i.compress_type for i in infos}
        assert kinds == {"a.js": zipfile.ZIP_DEFLATED, "assets/clip.mp4": zipfile.ZIP_STORED,
                         "z.html": zipfile.ZIP_DEFLATED}
        assert zf.read("assets/clip.mp4") == media.read_bytes()


def test_identical_bytes_and_source_date_epoch(tmp_path, monkeypatch):
    entries = [Entry("b.txt", b"b"), Entry("a.txt", b"a")]
    one = write_zip(tmp_path / "1.zip", entries).read_bytes()
    two = write_zip(tmp_path / "2.zip", list(reversed(entries))).read_bytes()
    assert one == two
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    three = write_zip(tmp_path / "3.zip", entries)
    with zipfile.ZipFile(three) as zf:
        assert zf.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_bad_source_date_epoch_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PackagerError, match="SOURCE_DATE_EPOCH"):
        write_zip(tmp_path / "x.zip", [Entry("a", b"a")])


def test_media_are_streamed_not_read_whole(tmp_path):
    big = tmp_path / "big.mp4"
    with big.open("wb") as fh:
        for _ in range(48):
            fh.write(os.urandom(1 << 20))
    tracemalloc.start()
    write_zip(tmp_path / "big.zip", [Entry("big.mp4", source=big)])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 1e6:.1f} MB while zipping a 48 MB file"


def test_interrupted_write_keeps_previous_file(tmp_path, monkeypatch):
    target = tmp_path / "pkg.zip"
    write_zip(target, [Entry("a.txt", b"old")])
    before = target.read_bytes()
    src = tmp_path / "s.mp4"
    src.write_bytes(b"x" * 10000)

    write = zipfile._ZipWriteFile.write

    def boom(self, data):  # Ctrl-C while the media file streams, after a.txt was written
        if len(data) > 1000:
            raise KeyboardInterrupt
        return write(self, data)

    monkeypatch.setattr(zipfile._ZipWriteFile, "write", boom)
    with pytest.raises(KeyboardInterrupt):
        write_zip(target, [Entry("a.txt", b"new"), Entry("s.mp4", source=src)])
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg.zip", "s.mp4"]
