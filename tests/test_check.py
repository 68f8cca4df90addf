"""``packager check``: clean on our packages, and each planted problem in a crafted zip found."""

from __future__ import annotations

import json
import re
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from packager import api
from packager.cli import cli
from packager.scorm.check import check_package
from tests.conftest import ROOTS, SCHEMAS

Members = list[tuple[zipfile.ZipInfo, bytes]]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("good")
    artifacts = api.build(ROOTS / "basic", ["scorm12", "scorm2004"], out,
                          options={"sco": "per-module"})
    return {a.target: a.path for a in artifacts}


def _members(package: Path) -> Members:
    with zipfile.ZipFile(package) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _write(path: Path, members: Members) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicates we plant
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            for info, data in members:
                zf.writestr(info, data)
    return path


def _plant(good: Path, tmp_path: Path, edit: Callable[[Members], Members]) -> Path:
    return _write(tmp_path / "broken.zip", edit(_members(good)))


def _edit_manifest(fn: Callable[[str], str]) -> Callable[[Members], Members]:
    def edit(members: Members) -> Members:
        return [(i, fn(d.decode()).encode() if i.filename == "imsmanifest.xml" else d)
                for i, d in members]
    return edit


def _add(name: str, data: bytes = b"x", mode: int | None = None) -> Callable[[Members], Members]:
    def edit(members: Members) -> Members:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        if mode is not None:
            info.create_system = 3
            info.external_attr = mode << 16
        return [*members, (info, data)]
    return edit


def _errors(package: Path, schemas: Path | None = None) -> list[str]:
    report = check_package(package, schemas)
    return [f.format(str(package)) for f in report.errors]


def _only(errors: list[str], pattern: str) -> str:
    found = [e for e in errors if re.search(pattern, e)]
    assert found, errors
    return found[0]


@pytest.mark.parametrize("target", ["scorm12", "scorm2004"])
def test_our_packages_are_clean(good: dict[str, Path], target: str) -> None:
    report = check_package(good[target], SCHEMAS)
    assert report.findings == [] and report.ok() and report.schema_checked
    result = CliRunner().invoke(cli, ["check", str(good[target]), "--schemas", str(SCHEMAS)])
    assert result.exit_code == 0, result.output
    assert "ok (SCORM" in result.output and "schema checked" in result.output


@pytest.mark.parametrize("target", ["scorm12", "scorm2004"])
def test_missing_file_is_reported_at_its_manifest_line(good, tmp_path, target) -> None:
    package = _plant(good[target], tmp_path,
                     lambda ms: [(i, d) for i, d in ms if i.filename != "runtime/core.js"])
    line = _only(_errors(package), "runtime/core.js")
    manifest = dict((i.filename, d) for i, d in _members(good[target]))["imsmanifest.xml"]
    number = next(n for n, text in enumerate(manifest.decode().splitlines(), 1)
                  if 'href="runtime/core.js"' in text)
    assert line == (f"{package}:imsmanifest.xml:{number}: error: file 'runtime/core.js' is "
                    "not in the zip")


def test_missing_launch_file(good, tmp_path) -> None:
    package = _plant(good["scorm12"], tmp_path,
                     lambda ms: [(i, d) for i, d in ms if i.filename != "index.html"])
    _only(_errors(package), r"launch file 'index.html' is not in the zip")


def test_case_only_difference_gets_a_hint(good, tmp_path) -> None:
    package = _plant(good["scorm12"], tmp_path, _edit_manifest(
        lambda m: m.replace('<file href="runtime/core.js"/>', '<file href="runtime/Core.js"/>')))
    _only(_errors(package), r"'runtime/Core\.js' is not in the zip \(the zip has "
                            r"'runtime/core\.js'")


@pytest.mark.parametrize(("name", "message", "mode"), [
    ("../escape.html", r"'\.\.' or '\.' in the path", None),
    ("/etc/absolute.html", "absolute path", None),
    ("C:/absolute.html", "absolute path", None),
    ("runtime\\back.js", "backslash", None),
    ("..\\escape.html", r"'\.\.' or '\.' in the path", None),
    ("index.html", "duplicate name in the zip", None),
    ("link.html", "symbolic link", 0o120777),
])
def test_zip_hygiene(good, tmp_path, name: str, message: str, mode: int | None) -> None:
    package = _plant(good["scorm2004"], tmp_path, _add(name, b"<p>x</p>", mode))
    found = _only(_errors(package), message)
    assert found.startswith(f"{package}:{name}: error:")


def test_names_differing_only_in_case_warn(good, tmp_path) -> None:
    package = _plant(good["scorm12"], tmp_path, _add("INDEX.HTML"))
    report = check_package(package)
    assert any("differ only in case" in f.message for f in report.warnings)


@pytest.mark.parametrize(("old", "new", "message"), [
    ('identifierref="RESMOD-02-test"', 'identifierref="NOPE"',
     "item 'MOD-02-test' refers to 'NOPE', which is no resource"),
    ('default="ORG-basic"', 'default="NOPE"',
     "organizations/@default 'NOPE' names no organization"),
    ('<dependency identifierref="SHARED-basic"/>', '<dependency identifierref="NOPE"/>',
     "dependency on 'NOPE', which is no resource"),
    ('identifier="MOD-02-test"', 'identifier="MOD-01-lesson"',
     r"identifier 'MOD-01-lesson' used twice \(first on line \d+\)"),
])
def test_bad_references(good, tmp_path, old: str, new: str, message: str) -> None:
    package = _plant(good["scorm12"], tmp_path, _edit_manifest(lambda m: m.replace(old, new, 1)))
    assert re.search(r":imsmanifest\.xml:\d+: error: " + message, "\n".join(_errors(package)))


def test_malformed_xml(good, tmp_path) -> None:
    package = _plant(good["scorm2004"], tmp_path, _edit_manifest(lambda m: m[: len(m) // 2]))
    _only(_errors(package), r":imsmanifest\.xml:\d+: error: malformed XML")


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE manifest [
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
<manifest xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" identifier="M">&lol9;</manifest>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<manifest xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" identifier="M">&secret;</manifest>
"""


@pytest.mark.parametrize(("manifest", "line"), [(BILLION_LAUGHS, 3), (XXE, 2)],
                         ids=["billion-laughs", "xxe"])
def test_entities_are_refused(good, tmp_path, manifest: str, line: int) -> None:
    package = _plant(good["scorm12"], tmp_path, _edit_manifest(lambda m: manifest))
    start = time.perf_counter()
    found = _only(_errors(package), "declares XML entities")
    assert time.perf_counter() - start < 2
    assert f":imsmanifest.xml:{line}: error:" in found
    assert "root:" not in json.dumps(check_package(package).as_dict())


def test_no_manifest_and_nested_manifest(good, tmp_path) -> None:
    nested = _plant(good["scorm12"], tmp_path, lambda ms: [
        (zipfile.ZipInfo("course/" + i.filename), d) for i, d in ms])
    _only(_errors(nested), r"no imsmanifest\.xml at the root.*found course/imsmanifest\.xml")


def test_damaged_manifest_data(good, tmp_path) -> None:
    data = bytearray(good["scorm12"].read_bytes())
    with zipfile.ZipFile(good["scorm12"]) as zf:
        info = zf.getinfo("imsmanifest.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 40):
        data[i] ^= 0xFF  # corrupt the deflated bytes: a CRC or inflate error, not a crash
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(data))
    _only(_errors(path), r"imsmanifest\.xml: error: (cannot read|malformed XML)")


def test_not_a_zip(tmp_path) -> None:
    path = tmp_path / "fake.zip"
    path.write_bytes(b"this is not a zip")
    _only(_errors(path), "not a readable zip file")


def test_zip_bomb_ratio_and_oversized_manifest(good, tmp_path) -> None:
    package = _plant(good["scorm12"], tmp_path, _add("assets/zeros.bin", bytes(4 << 20)))
    _only(_errors(package), r"assets/zeros\.bin: error: compression ratio over 200:1")
    big = _plant(good["scorm12"], tmp_path, _edit_manifest(
        lambda m: m + "<!--" + " " * (9 << 20) + "-->"))
    _only(_errors(big), r"imsmanifest\.xml: error: [\d,]+ bytes, over the [\d,]+ accepted")


def test_schema_violation_with_the_official_schemas(good, tmp_path) -> None:
    package = _plant(good["scorm2004"], tmp_path, _edit_manifest(
        lambda m: m.replace('completionSetByContent="true"', 'completionSetByContent="yes"', 1)))
    assert _errors(package) == []  # structure alone cannot see it
    _only(_errors(package, SCHEMAS), r":imsmanifest\.xml:\d+: error: schema: .*"
                                     r"completionSetByContent.*'yes'")


def test_schemas_the_package_carries_are_used(good, tmp_path) -> None:
    official = [(zipfile.ZipInfo(p.name), p.read_bytes())
                for p in sorted((SCHEMAS / "scorm12").glob("*.xsd"))]
    clean = _write(tmp_path / "carried.zip", _members(good["scorm12"]) + official)
    report = check_package(clean)
    assert report.findings == [] and report.schema_checked
    broken = _plant(clean, tmp_path, _edit_manifest(
        lambda m: m.replace("<item ", '<item bogus="1" ', 1)))
    _only(_errors(broken), r"schema: .*bogus.*\(against the package's own schemas\)")


def test_unusable_schemas(good, tmp_path) -> None:
    official = {p.name: p.read_bytes() for p in (SCHEMAS / "scorm12").glob("*.xsd")}
    # a carried schema importing from the network: never fetched, reported as a warning
    official["imscp_rootv1p1p2.xsd"] = official["imscp_rootv1p1p2.xsd"].replace(
        b'schemaLocation="ims_xml.xsd"', b'schemaLocation="http://example.com/x.xsd"')
    assert b"http://example.com/x.xsd" in official["imscp_rootv1p1p2.xsd"]
    package = _write(tmp_path / "remote.zip", _members(good["scorm12"]) + [
        (zipfile.ZipInfo(name), data) for name, data in sorted(official.items())])
    report = check_package(package)
    assert report.errors == [] and not report.schema_checked
    assert any("cannot load" in w.message for w in report.warnings)
    # an official folder without the schemas is an error
    empty = tmp_path / "empty"
    empty.mkdir()
    _only(_errors(good["scorm12"], empty), "cannot load the SCORM 1.2 schemas")


OTHER_TOOL = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="com.example.golf" version="1"
  xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="golf">
    <organization identifier="golf">
      <title>Golf</title>
      <item identifier="i1" identifierref="r1"><title>Playing</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" xml:base="shared/"
              href="launch.html?page=1">
      <file href="launch.html"/>
      <file href="my%20styles.css"/>
    </resource>
  </resources>
</manifest>
"""


def test_another_tools_package(tmp_path) -> None:
    package = _write(tmp_path / "golf.zip", [
        (zipfile.ZipInfo("imsmanifest.xml"), OTHER_TOOL.encode()),
        (zipfile.ZipInfo("shared/launch.html"), b"<html></html>"),
        (zipfile.ZipInfo("shared/my styles.css"), b"p{}"),
        (zipfile.ZipInfo("extra/readme.txt"), b"not listed"),
    ])
    report = check_package(package, SCHEMAS)
    assert report.errors == [] and report.version == "1.2" and report.schema_checked
    warned = " ".join(f.message for f in report.warnings)
    assert "xml:base" in warned and "extra/readme.txt" in warned


@pytest.mark.parametrize(("target", "old", "new", "level", "message"), [
    ("scorm12", "adlcp:scormtype=", "adlcp:scormType=", "error",
     "adlcp:scormType is spelt adlcp:scormtype in SCORM 1.2"),
    ("scorm2004", "adlcp:scormType=", "adlcp:scormtype=", "error",
     "adlcp:scormtype is spelt adlcp:scormType in SCORM 2004 4th Edition"),
    ("scorm2004", 'adlcp:scormType="sco"', "", "warning", "has no adlcp:scormType"),
])
def test_scorm_type_spelling(good, tmp_path, target, old, new, level, message) -> None:
    package = _plant(good[target], tmp_path, _edit_manifest(lambda m: m.replace(old, new)))
    report = check_package(package)
    assert any(f.level == level and message in f.message for f in report.findings), \
        report.lines()


def test_items_may_launch_a_submanifest(good, tmp_path) -> None:
    sub = ('<manifest identifier="SUB"><organizations/><resources/></manifest></manifest>')
    package = _plant(good["scorm12"], tmp_path, _edit_manifest(
        lambda m: m.replace('identifierref="RESMOD-03-eval"', 'identifierref="SUB"')
                   .replace("</manifest>", sub)))
    assert not [e for e in _errors(package) if "SUB" in e]


def test_cli_reports_lines_exit_1_and_json(good, tmp_path) -> None:
    package = _plant(good["scorm12"], tmp_path,
                     lambda ms: [(i, d) for i, d in ms if i.filename != "runtime/core.js"])
    runner = CliRunner()
    result = runner.invoke(cli, ["check", str(package)])
    assert result.exit_code == 1
    assert re.search(rf"^{re.escape(str(package))}:imsmanifest\.xml:\d+: error: file "
                     r"'runtime/core\.js' is not in the zip$", result.output, re.M)
    assert "FAILED (SCORM 1.2, schema not checked, 1 error(s)" in result.output
    result = runner.invoke(cli, ["check", "--format", "json", str(package), str(good["scorm2004"])])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [p["ok"] for p in data["packages"]] == [False, True]
    assert data["packages"][0]["findings"][0]["member"] == "imsmanifest.xml"
    result = runner.invoke(cli, ["check", str(good["scorm12"]), "--schemas", str(tmp_path / "no")])
    assert result.exit_code == 2
