"""Hostile zips given to ``packager check``: a clear report, bounded memory and time, and
nothing written outside a temporary folder."""

from __future__ import annotations

import json
import os
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from packager import api
from tests.conftest import ROOT, ROOTS

# Generous bounds; real runs take a fraction (printed with -s). Time is CPU time: wall time
# on a shared two-core runner measures the neighbours.
MAX_CPU_SECONDS = 10.0
MAX_TRACED_MB = 64.0
MAX_RSS_MB = 256.0  # an 8 MB manifest of tiny elements is ~90 MB as an lxml tree


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> Path:
    """A sound SCORM 2004 package of the basic fixture course."""
    out = tmp_path_factory.mktemp("good")
    (artifact,) = api.build(ROOTS / "basic", ["scorm2004"], out)
    return artifact.path


def members(package: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(package) as zf:
        return [(i, zf.read(i)) for i in zf.infolist()]


def write(path: Path, entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return path


def variant(good: Path, path: Path, extra: list[tuple[zipfile.ZipInfo | str, bytes]] = (),
            manifest: bytes | None = None) -> Path:
    """The good package with extra members and, optionally, another manifest."""
    entries: list[tuple[zipfile.ZipInfo | str, bytes]] = []
    for info, data in members(good):
        if info.filename == "imsmanifest.xml" and manifest is not None:
            data = manifest
        entries.append((info.filename, data))
    return write(path, entries + list(extra))


def run_check(package: Path, tmp_path: Path) -> dict:
    """``packager check`` in a fresh process whose TMPDIR and cwd are empty folders."""
    scratch = tmp_path / "scratch"
    cwd = tmp_path / "cwd"
    scratch.mkdir(parents=True)
    cwd.mkdir(parents=True)
    before = sorted(p.name for p in package.parent.iterdir())
    env = {**os.environ, "TMPDIR": str(scratch), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "tests.faults.check_runner", str(package)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    print(f"\n{package.name}: {result['cpu']:.2f} s CPU ({result['seconds']:.2f} s wall), "
          f"traced peak "
          f"{result['traced_mb']:.1f} MB, RSS {result['rss_mb']:.0f} MB, "
          f"{result['report']['errors']} error(s)")
    assert result["cpu"] < MAX_CPU_SECONDS
    assert result["traced_mb"] < MAX_TRACED_MB
    assert result["rss_mb"] < MAX_RSS_MB
    for written in result["writes"]:
        assert Path(written).resolve().is_relative_to(scratch.resolve()), \
            f"check wrote {written}, outside its temporary folder"
    assert list(scratch.iterdir()) == [], "temporary files left behind"
    assert list(cwd.iterdir()) == []
    assert sorted(p.name for p in package.parent.iterdir()) == before
    return result


def errors(result: dict) -> list[str]:
    return [f"{f['member']}: {f['message']}" for f in result["report"]["findings"]
            if f["level"] == "error"]


def has_error(result: dict, *words: str) -> bool:
    return any(all(w in e for w in words) for e in errors(result))


def test_the_good_package_is_clean(good, tmp_path):
    result = run_check(good, tmp_path)
    assert errors(result) == []


def test_zip_bomb_ratio(good, tmp_path):
    zeros = b"\0" * (64 << 20)  # deflates about 1000:1
    package = variant(good, tmp_path / "bomb.zip", [("assets/bomb.bin", zeros)])
    result = run_check(package, tmp_path)
    assert has_error(result, "assets/bomb.bin", "compression ratio")


def test_manifest_that_inflates_past_the_limit(good, tmp_path):
    manifest = b'<?xml version="1.0"?>\n<!--' + b" " * (64 << 20) + b"-->\n"
    package = variant(good, tmp_path / "fat-manifest.zip", manifest=manifest)
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "bytes, over the")


def _patch_sizes(data: bytes, name: str, size: int) -> bytes:
    """Make the zip's headers claim ``size`` uncompressed bytes for ``name`` (a lie)."""
    out = bytearray(data)
    encoded = name.encode()
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) != -1:  # central directory records
        name_len = struct.unpack_from("<H", out, pos + 28)[0]
        if out[pos + 46:pos + 46 + name_len] == encoded:
            struct.pack_into("<I", out, pos + 24, size)
            local = struct.unpack_from("<I", out, pos + 42)[0]
            struct.pack_into("<I", out, local + 22, size)
        pos += 4
    return bytes(out)


def test_headers_that_lie_about_the_size(good, tmp_path):
    manifest = b'<?xml version="1.0"?>\n<!--' + b"x" * (32 << 20) + b"-->\n"
    honest = variant(good, tmp_path / "honest.zip", manifest=manifest)
    liar = tmp_path / "liar.zip"
    liar.write_bytes(_patch_sizes(honest.read_bytes(), "imsmanifest.xml", 1000))
    honest.unlink()
    result = run_check(liar, tmp_path)
    assert has_error(result, "imsmanifest.xml")


def test_absolute_paths(good, tmp_path):
    package = variant(good, tmp_path / "absolute.zip", [
        (zipfile.ZipInfo("/etc/cron.d/evil"), b"* * * * * root true\n"),
        (zipfile.ZipInfo("C:/Windows/evil.html"), b"<p>x</p>")])
    result = run_check(package, tmp_path)
    assert has_error(result, "/etc/cron.d/evil", "absolute path")
    assert has_error(result, "C:/Windows/evil.html", "absolute path")


def test_dot_dot_paths(good, tmp_path):
    package = variant(good, tmp_path / "dotdot.zip", [
        (zipfile.ZipInfo("../../evil.html"), b"<p>x</p>"),
        (zipfile.ZipInfo("assets/../../../evil2.html"), b"<p>x</p>"),
        (zipfile.ZipInfo("assets\\..\\..\\evil3.html"), b"<p>x</p>")])
    result = run_check(package, tmp_path)
    for name in ("../../evil.html", "assets/../../../evil2.html", "assets\\..\\..\\evil3.html"):
        assert has_error(result, name, ".."), errors(result)


def test_symlink_entries(good, tmp_path):
    link = zipfile.ZipInfo("assets/passwd")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    package = variant(good, tmp_path / "symlink.zip", [(link, b"/etc/passwd")])
    result = run_check(package, tmp_path)
    assert has_error(result, "assets/passwd", "symbolic link")


def test_huge_manifest_over_the_limit(good, tmp_path):
    files = "".join(f'<file href="f{i}.html"/>' for i in range(400_000)).encode()
    manifest = members(good)[0][1]  # any bytes: the size alone must refuse it
    big = b'<?xml version="1.0"?>\n<manifest>' + files + b"</manifest>\n"
    assert len(big) > 8 << 20 and manifest
    package = variant(good, tmp_path / "huge.zip", manifest=big)
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "over the")


def test_large_manifest_under_the_limit_stays_bounded(good, tmp_path):
    """A 3 MB manifest with 60,000 references to missing files."""
    with zipfile.ZipFile(good) as zf:
        text = zf.read("imsmanifest.xml").decode()
    many = "".join(f'<file href="missing/f{i}.html"/>' for i in range(60_000))
    text = text.replace('<file href="index.html"/>', '<file href="index.html"/>' + many, 1)
    assert len(text.encode()) < 8 << 20
    package = variant(good, tmp_path / "large.zip", manifest=text.encode())
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "is not in the zip")


def test_malformed_xml(good, tmp_path):
    with zipfile.ZipFile(good) as zf:
        text = zf.read("imsmanifest.xml")
    package = variant(good, tmp_path / "malformed.zip", manifest=text[: len(text) // 2])
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "malformed XML")
    assert any(f["line"] > 1 for f in result["report"]["findings"])


LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
 <organizations><organization identifier="O"><title>&lol9;</title></organization>
 </organizations><resources/>
</manifest>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE m [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" identifier="M">
 <organizations><organization identifier="O"><title>&xxe;</title></organization>
 </organizations><resources/>
</manifest>
"""


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("attack", ["billion-laughs", "external-entity"])
def test_xml_entities_are_refused(attack, encoding, good, tmp_path):
    text = LAUGHS if attack == "billion-laughs" else EXTERNAL
    if encoding != "utf-8":
        text = text.replace('<?xml version="1.0"?>', f'<?xml version="1.0" encoding="{encoding}"?>')
    package = variant(good, tmp_path / f"{attack}-{encoding}.zip",
                      manifest=text.encode(encoding))
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "entit"), errors(result)
    assert "root:" not in json.dumps(result["report"])  # /etc/passwd never read


def test_too_many_entries(tmp_path):
    package = write(tmp_path / "many.zip", [("imsmanifest.xml", b"<manifest/>")] + [
        (zipfile.ZipInfo(f"f/{i}"), b"") for i in range(50_001)])
    result = run_check(package, tmp_path)
    assert has_error(result, "50,002 entries, more than")
    assert result["rss_mb"] < 64  # refused from the end record, not by listing every entry


def test_end_record_claiming_millions_of_entries(good, tmp_path):
    data = bytearray(good.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 0xFFFE, 0xFFFE)  # entries here, entries in all
    package = tmp_path / "claims.zip"
    package.write_bytes(bytes(data))
    result = run_check(package, tmp_path)
    assert has_error(result, "65,534 entries, more than")


def test_not_a_zip_and_a_truncated_zip(good, tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(os.urandom(4096))
    assert has_error(run_check(junk, tmp_path / "a"), "not a readable zip")
    cut = tmp_path / "cut.zip"
    data = good.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert errors(run_check(cut, tmp_path / "b"))


def test_corrupt_member_data(good, tmp_path):
    """A flipped byte inside the deflated manifest: a finding, not a traceback."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("imsmanifest.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(0, min(info.compress_size, 400), 37):
        data[start + k] ^= 0xFF
    package = tmp_path / "corrupt.zip"
    package.write_bytes(bytes(data))
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml")


def test_hostile_schema_files_are_extracted_only_into_a_temp_folder(good, tmp_path):
    """A package carrying its own schemas: names that try to escape are never written."""
    extra = [(zipfile.ZipInfo(name), b"<xs:schema/>") for name in (
        "imscp_v1p1.xsd", "adlcp_v1p3.xsd", "adlseq_v1p3.xsd", "adlnav_v1p3.xsd",
        "imsss_v1p0.xsd", "lom.xsd", "common/../../../escape.xsd", "/tmp/abs.xsd")]
    package = variant(good, tmp_path / "schemas.zip", extra)
    result = run_check(package, tmp_path)
    assert has_error(result, "common/../../../escape.xsd", "..")
    assert has_error(result, "/tmp/abs.xsd", "absolute path")
    assert result["writes"], "the carried schemas were expected in a temp folder"
    assert not (tmp_path.parent / "escape.xsd").exists()


def test_cli_reports_a_bomb_cleanly(good, tmp_path):
    package = variant(good, tmp_path / "bomb.zip", [("assets/bomb.bin", b"\0" * (16 << 20))])
    done = subprocess.run([sys.executable, "-m", "packager", "check", str(package)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "zip bomb" in done.stderr and "FAILED" in done.stderr


def test_local_header_name_that_is_not_utf8(good, tmp_path):
    """Found by the fuzzer: the UTF-8 flag over bytes that are not UTF-8 in a local header."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        offset = zf.getinfo("imsmanifest.xml").header_offset
    flags = struct.unpack_from("<H", data, offset + 6)[0]
    struct.pack_into("<H", data, offset + 6, flags | 0x800)
    data[offset + 30] = 0x80  # the first byte of the name
    package = tmp_path / "bad-name.zip"
    package.write_bytes(bytes(data))
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "cannot read")


def test_zip_needing_a_newer_zip_version(good, tmp_path):
    """Found by the fuzzer: an end record that asks for zip version 6.4 (zipfile refuses)."""
    data = bytearray(good.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    central = struct.unpack_from("<I", data, end + 16)[0]
    struct.pack_into("<B", data, central + 6, 64)  # "version needed to extract": 6.4
    package = tmp_path / "version.zip"
    package.write_bytes(bytes(data))
    result = run_check(package, tmp_path)
    assert errors(result)


def test_encrypted_manifest(good, tmp_path):
    """Found by the fuzzer: the encryption flag on the manifest (zipfile wants a password)."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as zf:
        offset = zf.getinfo("imsmanifest.xml").header_offset
    end = data.rfind(b"PK\x05\x06")
    pos = struct.unpack_from("<I", data, end + 16)[0]
    while data[pos:pos + 4] == b"PK\x01\x02":  # central records: flag the manifest's
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46:pos + 46 + name_len] == b"imsmanifest.xml":
            data[pos + 8] |= 0x01
        pos += 46 + name_len + extra_len + comment_len
    data[offset + 6] |= 0x01
    package = tmp_path / "encrypted.zip"
    package.write_bytes(bytes(data))
    result = run_check(package, tmp_path)
    assert has_error(result, "imsmanifest.xml", "encrypted")
    assert has_error(result, "imsmanifest.xml", "cannot read")
