"""Check any SCORM zip: zip hygiene, safe manifest parsing, references, files and schemas."""

from __future__ import annotations

import re
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlparse

from lxml import etree

from packager.scorm import schema

MANIFEST = "imsmanifest.xml"
MAX_MANIFEST_BYTES = 8 << 20  # real manifests are kilobytes; more is an attack or a mistake
MAX_SCHEMA_BYTES = 2 << 20
MAX_ENTRIES = 50_000
MAX_TOTAL_BYTES = 4 << 30
MAX_RATIO = 200  # deflate rarely beats ~20:1 on course content; 200:1 smells of a zip bomb
MAX_FINDINGS = 1000  # a hostile manifest can name 200,000 missing files: report, don't hoard
RATIO_MIN_BYTES = 1 << 20
CP_NAMESPACES = {
    "http://www.imsproject.org/xsd/imscp_rootv1p1p2": "1.2",
    "http://www.imsglobal.org/xsd/imscp_v1p1": "2004",
}
ADLCP = {True: "http://www.adlnet.org/xsd/adlcp_rootv1p2",
         False: "http://www.adlnet.org/xsd/adlcp_v1p3"}  # keyed by "is SCORM 1.2"
EDITIONS_2004 = {"2004 4th Edition", "2004 3rd Edition", "CAM 1.3", "2004 2nd Edition"}
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DRIVE = re.compile(r"^[A-Za-z]:")
_SCHEMA_FILE = re.compile(r"^(?:(?:common|extend|unique|vocab)/)?[A-Za-z0-9_.-]+\.(?:xsd|dtd)$")


@dataclass(frozen=True)
class Finding:
    """One problem: where in the package (member and line) and what."""

    level: str  # "error" | "warning"
    message: str
    member: str = ""
    line: int = 0

    def format(self, package: str) -> str:
        where = package + (f":{self.member}" if self.member else "")
        where += f":{self.line}" if self.line else ""
        return f"{where}: {self.level}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "member": self.member, "line": self.line,
                "message": self.message}


@dataclass
class CheckReport:
    """Everything found in one package."""

    package: str
    version: str | None = None  # "1.2", "2004 4th Edition", ...
    findings: list[Finding] = field(default_factory=list)
    schema_checked: bool = False

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)

    def lines(self) -> list[str]:
        return [f.format(self.package) for f in self.findings]

    def as_dict(self) -> dict[str, Any]:
        return {"package": self.package, "version": self.version, "ok": self.ok(),
                "schema_checked": self.schema_checked, "errors": len(self.errors),
                "warnings": len(self.warnings),
                "findings": [f.as_dict() for f in self.findings]}


class _Checker:
    """One run over one package; collects findings instead of stopping at the first."""

    def __init__(self, path: Path, schemas: Path | None):
        self.path = path
        self.schemas = schemas
        self.report = CheckReport(str(path))
        self.suppressed: dict[str, int] = {}  # findings past MAX_FINDINGS, by level

    def error(self, message: str, member: str = "", line: int | None = 0) -> None:
        self._add(Finding("error", message, member, line or 0))

    def warning(self, message: str, member: str = "", line: int | None = 0) -> None:
        self._add(Finding("warning", message, member, line or 0))

    def _add(self, finding: Finding) -> None:
        if len(self.report.findings) < MAX_FINDINGS:
            self.report.findings.append(finding)
        else:
            self.suppressed[finding.level] = self.suppressed.get(finding.level, 0) + 1

    def run(self) -> CheckReport:
        declared = _declared_entries(self.path)
        if declared > MAX_ENTRIES:
            # refuse before zipfile builds an object per entry: millions would exhaust memory
            self.error(f"{declared:,} entries, more than the {MAX_ENTRIES:,} allowed")
            return self.report
        try:
            zf = zipfile.ZipFile(self.path)
        except UNREADABLE as exc:  # NotImplementedError: "zip file version 6.4" (fuzzing)
            self.error(f"not a readable zip file: {exc}")
            return self.report
        with zf:
            names = self.hygiene(zf)
            root = self.read_manifest(zf, names)
            if root is not None:
                self.structure(root, names)
                self.schema_checks(zf, root, names)
        if self.suppressed:
            more = sum(self.suppressed.values())
            level = "error" if self.suppressed.get("error") else "warning"
            self.report.findings.append(Finding(level, f"{more:,} more finding(s) not listed "
                                                f"(the first {MAX_FINDINGS:,} are shown)"))
        return self.report

    # -- the zip itself ------------------------------------------------------------------

    def hygiene(self, zf: zipfile.ZipFile) -> set[str]:
        """Names that are unsafe or ambiguous to extract; returns the file names present."""
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            self.error(f"{len(infos):,} entries, more than the {MAX_ENTRIES:,} allowed")
        counts = Counter(i.filename for i in infos)
        total = 0
        for info in infos:
            name = info.filename
            parts = re.split(r"[/\\]", name)
            if name.startswith("/") or _DRIVE.match(name):
                self.error("absolute path in the zip", name)
            if "\\" in name:
                self.error("backslash in the name (use '/'; LMSs on Linux keep it as a "
                           "character)", name)
            if ".." in parts or "." in parts:
                self.error("'..' or '.' in the path: it could escape the package folder",
                           name)
            if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
                self.error("symbolic link in the zip", name)
            if info.flag_bits & 0x1:
                self.error("encrypted entry: LMSs cannot read it", name)
            total += info.file_size
            if (info.file_size > RATIO_MIN_BYTES and info.compress_size
                    and info.file_size / info.compress_size > MAX_RATIO):
                self.error(f"compression ratio over {MAX_RATIO}:1 (a zip bomb?)", name)
        for name, count in sorted(counts.items()):
            if count > 1:
                self.error(f"duplicate name in the zip ({count} entries)", name)
        by_case: dict[str, list[str]] = {}
        for name in sorted(counts):
            by_case.setdefault(name.lower(), []).append(name)
        for group in by_case.values():
            if len(group) > 1:
                self.warning(f"names differ only in case ({', '.join(group)}): they collide "
                             "on Windows and macOS", group[0])
        if total > MAX_TOTAL_BYTES:
            self.error(f"{total:,} bytes uncompressed, over the {MAX_TOTAL_BYTES:,} allowed")
        return {n for n in counts if not n.endswith("/")}

    # -- the manifest --------------------------------------------------------------------

    def read_manifest(self, zf: zipfile.ZipFile, names: set[str]) -> etree._Element | None:
        if MANIFEST not in names:
            nested = sorted(n for n in names if n.endswith("/" + MANIFEST))
            hint = (f" (found {nested[0]}: zip the folder's contents, not the folder)"
                    if nested else "")
            self.error(f"no {MANIFEST} at the root of the zip{hint}")
            return None
        info = zf.getinfo(MANIFEST)
        if info.file_size > MAX_MANIFEST_BYTES:
            self.error(f"{info.file_size:,} bytes, over the {MAX_MANIFEST_BYTES:,} accepted",
                       MANIFEST)
            return None
        try:
            data = _bounded_read(zf, info, MAX_MANIFEST_BYTES)
        except UNREADABLE as exc:
            self.error(f"cannot read: {exc}", MANIFEST)
            return None
        if data is None:
            self.error("larger than its zip header says", MANIFEST)
            return None
        found = _ENTITY.search(data)
        if found:
            line = data.count(b"\n", 0, found.start()) + 1
            self.error("the manifest declares XML entities: refused (entity expansion and "
                       "external entities are a known attack)", MANIFEST, line)
            return None
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                                 load_dtd=False, remove_comments=False)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            self.error(f"malformed XML: {exc.msg}", MANIFEST, exc.lineno)
            return None
        dtd = root.getroottree().docinfo.internalDTD
        if dtd is not None and next(iter(dtd.iterentities()), None) is not None:
            # the byte search above misses UTF-16 and other encodings; the parser does not
            self.error("the manifest declares XML entities: refused (entity expansion and "
                       "external entities are a known attack)", MANIFEST, 1)
            return None
        ns = etree.QName(root).namespace
        if etree.QName(root).localname != "manifest" or ns not in CP_NAMESPACES:
            self.error(f"root element is {root.tag}, not an IMS content package manifest",
                       MANIFEST, root.sourceline)
            return None
        self.report.version = self.detect_version(root, CP_NAMESPACES[ns])
        return root

    def detect_version(self, root: etree._Element, family: str) -> str:
        ns = etree.QName(root).namespace
        found = root.find(f"{{{ns}}}metadata/{{{ns}}}schemaversion")
        text = (found.text or "").strip() if found is not None else ""
        line = found.sourceline if found is not None else root.sourceline
        if family == "1.2":
            if text not in ("1.2", ""):
                self.warning(f"schemaversion '{text}' in a SCORM 1.2 manifest; expected '1.2'",
                             MANIFEST, line)
            if not text:
                self.warning("no metadata/schemaversion (expected '1.2')", MANIFEST, line)
            return "1.2"
        if text not in EDITIONS_2004:
            self.warning(f"schemaversion '{text}' is not a SCORM 2004 edition; checking as "
                         "'2004 4th Edition'", MANIFEST, line)
            return "2004 4th Edition"
        return text

    def structure(self, root: etree._Element, names: set[str]) -> None:
        """References, identifiers, launch files and listed files: no schema needed."""
        ns = etree.QName(root).namespace
        cp = f"{{{ns}}}"
        ids: dict[str, etree._Element] = {}
        for el in root.iter(f"{cp}manifest", f"{cp}organization", f"{cp}item",
                            f"{cp}resource"):
            ident = el.get("identifier")
            if not ident:
                self.error(f"<{etree.QName(el).localname}> without an identifier", MANIFEST,
                           el.sourceline)
            elif ident in ids:
                self.error(f"identifier '{ident}' used twice (first on line "
                           f"{ids[ident].sourceline})", MANIFEST, el.sourceline)
            else:
                ids[ident] = el
        for el in root.iter():
            if el.get(XML_BASE) is not None:
                self.warning("xml:base is ignored by some importers (Open edX): keep paths "
                             "relative to the package root", MANIFEST, el.sourceline)
                break
        resources = {r.get("identifier"): r for r in root.iter(f"{cp}resource")}
        orgs_el = root.find(f"{cp}organizations")
        orgs = {o.get("identifier") for o in root.iter(f"{cp}organization")}
        if orgs_el is None:
            self.error("no <organizations>", MANIFEST, root.sourceline)
        else:
            default = orgs_el.get("default")
            if default and default not in orgs:
                self.error(f"organizations/@default '{default}' names no organization",
                           MANIFEST, orgs_el.sourceline)
            if not orgs and self.report.version == "1.2":
                self.error("no <organization>: there is nothing to launch", MANIFEST,
                           orgs_el.sourceline)
        submanifests = {m.get("identifier") for m in root.iter(f"{cp}manifest") if m is not root}
        launched: list[etree._Element] = []
        for item in root.iter(f"{cp}item"):
            ref = item.get("identifierref")
            if ref is None or ref in submanifests:
                continue
            if ref not in resources:
                self.error(f"item '{item.get('identifier')}' refers to '{ref}', which is no "
                           "resource", MANIFEST, item.sourceline)
                continue
            res = resources[ref]
            if not res.get("href"):
                self.error(f"item '{item.get('identifier')}' launches resource '{ref}', which "
                           "has no href", MANIFEST, res.sourceline)
            launched.append(res)
            self.scorm_type(res)
        for dep in root.iter(f"{cp}dependency"):
            ref = dep.get("identifierref")
            if ref not in resources:
                self.error(f"dependency on '{ref}', which is no resource", MANIFEST,
                           dep.sourceline)
        if orgs and not launched:
            self.error("no item launches a resource: there is nothing to launch", MANIFEST,
                       root.sourceline)
        first = next(iter(resources.values()), None)
        if launched and first is not None and first is not launched[0]:
            self.warning(f"the first resource is '{first.get('identifier')}', not the one the "
                         f"first item launches ('{launched[0].get('identifier')}'); some "
                         "importers (Open edX) launch the first resource", MANIFEST,
                         first.sourceline)
        self.files(root, cp, names)

    def scorm_type(self, res: etree._Element) -> None:
        """A launched resource needs adlcp:scormType (1.2: scormtype), spelt as its version."""
        adlcp = ADLCP[self.report.version == "1.2"]
        right, wrong = ("scormtype", "scormType") if self.report.version == "1.2" else (
            "scormType", "scormtype")
        if res.get(f"{{{adlcp}}}{right}") is not None:
            return
        if res.get(f"{{{adlcp}}}{wrong}") is not None:
            self.error(f"adlcp:{wrong} is spelt adlcp:{right} in SCORM {self.report.version}",
                       MANIFEST, res.sourceline)
        else:
            self.warning(f"resource '{res.get('identifier')}' has no adlcp:{right}: some LMSs "
                         "then treat it as an asset and track nothing", MANIFEST, res.sourceline)

    def files(self, root: etree._Element, cp: str, names: set[str]) -> None:
        """Every resource href and file href must be a file in the zip."""
        folded = {n.lower(): n for n in names}
        listed: set[str] = set()
        for res in root.iter(f"{cp}resource"):
            base = _base(res)
            for el, what in [(res, "launch file")] + [(f, "file") for f in
                                                       res.iter(f"{cp}file")]:
                href = el.get("href")
                if not href or urlparse(href).scheme or href.startswith("//"):
                    continue  # external resources are allowed
                path = _member(base, href)
                if path is None:
                    self.error(f"{what} '{href}' points outside the package", MANIFEST,
                               el.sourceline)
                    continue
                listed.add(path)
                if path not in names:
                    near = folded.get(path.lower())
                    hint = f" (the zip has '{near}': names are case-sensitive)" if near else ""
                    self.error(f"{what} '{href}' is not in the zip{hint}", MANIFEST,
                               el.sourceline)
        unlisted = sorted(n for n in names - listed
                          if n != MANIFEST and not _SCHEMA_FILE.match(n))
        if unlisted:
            more = f" and {len(unlisted) - 5} more" if len(unlisted) > 5 else ""
            self.warning(f"{len(unlisted)} file(s) in no resource: "
                         f"{', '.join(unlisted[:5])}{more}", MANIFEST)

    # -- schemas -------------------------------------------------------------------------

    def schema_checks(self, zf: zipfile.ZipFile, root: etree._Element,
                      names: set[str]) -> None:
        version = self.report.version or ""
        if version not in schema.EDITIONS:
            self.warning(f"no schemas known for SCORM {version}; schema not checked", MANIFEST)
            return
        seen: set[tuple[int, str]] = set()
        if self.schemas is not None:
            self._validate(root, self.schemas, version, "", seen, official=True)
        carried = sorted(n for n in names if _SCHEMA_FILE.match(n))
        needed = set(schema.EDITIONS[version][1].values())
        if needed <= set(carried):
            with tempfile.TemporaryDirectory(prefix="packager-check-") as tmp:
                for name in carried:
                    try:
                        data = _bounded_read(zf, zf.getinfo(name), MAX_SCHEMA_BYTES)
                    except UNREADABLE as exc:
                        self.error(f"cannot read: {exc}", name)
                        return
                    if data is None:
                        self.error("schema file too large", name)
                        return
                    target = Path(tmp, *PurePosixPath(name).parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
                self._validate(root, Path(tmp), version, " (against the package's own "
                               "schemas)", seen, official=False)

    def _validate(self, root: etree._Element, folder: Path, version: str, label: str,
                  seen: set[tuple[int, str]], official: bool) -> None:
        try:
            problems = schema.validate(root, folder, version, cache=official)
        except (schema.SchemaError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
            # the official set must load; a package's own copies may be broken or incomplete
            report = self.error if official else self.warning
            report(f"cannot load the SCORM {version} schemas{label}: {exc}")
            return
        self.report.schema_checked = True
        for p in problems:
            if (p.line, p.message) not in seen:
                seen.add((p.line, p.message))
                self.error(f"schema: {p.message}{label}", MANIFEST, p.line)


def _declared_entries(path: Path) -> int:
    """The entry count the end-of-central-directory record declares (0 if unreadable)."""
    try:
        with path.open("rb") as fh:
            end = zipfile._EndRecData(fh)  # private, but the only reader of the record
    except (OSError, zipfile.BadZipFile):
        return 0
    return int(end[zipfile._ECD_ENTRIES_TOTAL]) if end else 0


def _bounded_read(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes | None:
    """A member's bytes, or None if it inflates past ``limit`` (headers can lie)."""
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    return None if len(data) > limit else data


# what a damaged or exotic member raises when read (bad CRC, bad deflate data, deflate64)
# ValueError: a local header whose UTF-8 flag is set over bytes that are not UTF-8 (found
# by tests/fuzz) makes zipfile raise UnicodeDecodeError.
# RuntimeError: an encrypted member ("password required"), also found by fuzzing.
UNREADABLE = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
              ValueError, RuntimeError)


def _base(res: etree._Element) -> str:
    """The xml:base prefixes that apply to a resource's hrefs (manifest down to resource)."""
    parts = [el.get(XML_BASE) or "" for el in reversed(list(res.iterancestors()))]
    parts.append(res.get(XML_BASE) or "")
    return "".join(parts)


def _member(base: str, href: str) -> str | None:
    """The zip member an href names: query and fragment dropped, %-escapes decoded."""
    raw = (base + href).split("?", 1)[0].split("#", 1)[0]
    parts: list[str] = []
    for part in unquote(raw).replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def check_package(path: str | Path, schemas: str | Path | None = None) -> CheckReport:
    """Check one SCORM zip; schema validation when ``schemas`` (a folder) is given."""
    return _Checker(Path(path), Path(schemas) if schemas is not None else None).run()
