"""Property: whatever zip it is given, ``packager check`` returns a report and never raises."""

from __future__ import annotations

import io
import json
import stat
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from packager import api
from packager.scorm.check import CheckReport, check_package
from tests.conftest import ROOTS
from tests.fuzz.counts import CASES, EXAMPLES

SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


class Packages(dict):
    """Package bytes by target, with a short repr for hypothesis's failure reports."""

    def __repr__(self) -> str:
        return f"Packages({', '.join(f'{k}: {len(v):,} bytes' for k, v in self.items())})"


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> Packages:
    """Our own SCORM 1.2 and 2004 packages of the basic course, as bytes."""
    out = tmp_path_factory.mktemp("fuzz-packages")
    built = api.build(ROOTS / "basic", ["scorm12", "scorm2004"], out)
    return Packages({a.target: a.path.read_bytes() for a in built})


def members(data: bytes) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def check_bytes(data: bytes, name: str = "fuzz.zip") -> CheckReport:
    """Run the checker on ``data`` and hold its report to the contract."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        report = check_package(path)
    assert isinstance(report, CheckReport)
    for finding in report.findings:
        assert finding.level in ("error", "warning") and finding.message
        assert isinstance(finding.line, int) and finding.line >= 0
    json.dumps(report.as_dict())
    report.lines()
    return report


XML_SNIPPETS = [
    b"<!ENTITY a 'b'>", b"<!DOCTYPE m [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>", b"&x;",
    b' xml:base="../../"', b' href="../../../etc/passwd"', b' href="/abs.html"',
    b' href="http://example.com/x"', b' href="a%2F..%2F..%2Fb"', b' identifierref="nope"',
    b' identifier=""', b"</resource>", b"<resource>", b"<item>", b"</organizations>",
    b"<file/>", b"<![CDATA[", b"]]>", b"<?xml version='1.0' encoding='utf-16'?>", b"\x00",
    b"\xff\xfe", b"<schemaversion>9</schemaversion>", b"<dependency identifierref='x'/>",
    b' adlcp:scormType="bogus"', b' adlcp:scormtype="sco"', b"<!-- ", b" -->",
]


def mutate_bytes(data: bytes, draw) -> bytes:
    """A few edits on lines and bytes, with XML-shaped insertions."""
    lines = data.splitlines(keepends=True) or [b""]
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["del", "dup", "ins", "bytes", "swap", "cut"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "del" and len(lines) > 1:
            lines.pop(i)
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "ins":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.sampled_from(XML_SNIPPETS)) + lines[i][pos:]
        elif op == "bytes":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(st.binary(max_size=6)) + lines[i][pos:]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines = lines[: max(i, 1)]
    return b"".join(lines)


@SETTINGS
@given(data=st.data(), target=st.sampled_from(["scorm12", "scorm2004"]))
def test_mutated_manifests_never_crash_check(packages, data, target):
    CASES["check: mutated manifest"] += 1
    entries = members(packages[target])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in entries:
            if name == "imsmanifest.xml":
                content = mutate_bytes(content, data.draw)
            elif data.draw(st.integers(0, 20)) == 0:
                continue  # now and then a file the manifest lists goes missing
            zf.writestr(name, content)
    check_bytes(out.getvalue())


names = st.one_of(
    st.sampled_from(["imsmanifest.xml", "index.html", "runtime/core.js", "../x", "/abs",
                     "a/../../b", "C:/win", "a\\..\\b", "", "/", "dir/", "IMSMANIFEST.XML",
                     "x/imsmanifest.xml", "a" * 300, "é/ü.html", "imscp_v1p1.xsd", "lom.xsd",
                     "common/x.xsd", "./a", "a//b"]),
    st.text(min_size=1, max_size=30),
)
manifests = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda body: b'<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/'
              b'xsd/imscp_v1p1" identifier="M">' + body + b"</manifest>",
              st.lists(st.sampled_from([
                  b"<organizations default='O'><organization identifier='O'><title>t</title>"
                  b"<item identifier='I' identifierref='R'><title>i</title></item>"
                  b"</organization></organizations>",
                  b"<resources><resource identifier='R' type='webcontent' href='index.html'>"
                  b"<file href='index.html'/></resource></resources>",
                  b"<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition"
                  b"</schemaversion></metadata>", b"<organizations/>", b"<resources/>",
                  b"<item identifierref='R'/>", b"<file href='../../x'/>", b"&amp;",
              ]), max_size=5).map(b"".join)),
)


@st.composite
def zip_entries(draw) -> bytes:
    """A zip built member by member with odd names, modes, methods and contents."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        if draw(st.booleans()):
            zf.writestr("imsmanifest.xml", draw(manifests))
        used = {"imsmanifest.xml"}
        for _ in range(draw(st.integers(0, 6))):
            name = draw(names)
            if name in used:
                continue
            used.add(name)
            info = zipfile.ZipInfo(name)
            info.compress_type = draw(st.sampled_from([zipfile.ZIP_STORED,
                                                       zipfile.ZIP_DEFLATED]))
            info.create_system = draw(st.sampled_from([0, 3]))
            mode = draw(st.sampled_from([0o100644, stat.S_IFLNK | 0o777, stat.S_IFDIR | 0o755,
                                         0]))
            info.external_attr = mode << 16
            zf.writestr(info, draw(st.one_of(st.binary(max_size=300),
                                             st.just(b"\0" * (2 << 20)))))
    return out.getvalue()


@SETTINGS
@given(data=zip_entries())
def test_generated_zips_never_crash_check(data):
    CASES["check: generated zip"] += 1
    check_bytes(data)


@SETTINGS
@given(data=st.data(), target=st.sampled_from(["scorm12", "scorm2004"]))
def test_damaged_zip_bytes_never_crash_check(packages, data, target):
    """Flipped bytes anywhere (headers, data, central directory) and truncations."""
    CASES["check: damaged zip bytes"] += 1
    raw = bytearray(packages[target])
    region = data.draw(st.sampled_from(["anywhere", "tail", "head"]))
    for _ in range(data.draw(st.integers(1, 8))):
        if region == "tail":  # the central directory and end record
            pos = data.draw(st.integers(max(0, len(raw) - 2048), len(raw) - 1))
        elif region == "head":
            pos = data.draw(st.integers(0, min(len(raw) - 1, 512)))
        else:
            pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    if data.draw(st.integers(0, 5)) == 0:
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    check_bytes(bytes(raw))
