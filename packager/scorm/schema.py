"""Validate manifests against the official SCORM schemas, offline, fixing their known defects.

The schema files stay as published; three defects are repaired in memory while loading:
SCORM 1.2's ``ims_xml.xsd`` binds the xml namespace as the default one (libxml2 refuses
it), IMS MD 1.2.1 declares ``grp.any`` as ``##any`` (non-deterministic; IMS MD 1.2.2 made
it ``##other``), and the 2004 4th Edition CP schema imports xml.xsd from w3.org, which is
mapped to the local copy. Nothing is ever fetched from the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlparse

from lxml import etree

XML_NS_URL = "http://www.w3.org/2001/xml.xsd"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1"

# namespace -> schema file, for each SCORM version; the folder names in shared/schemas
EDITIONS: dict[str, tuple[str, dict[str, str]]] = {
    "1.2": ("scorm12", {
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2": "imscp_rootv1p1p2.xsd",
        "http://www.adlnet.org/xsd/adlcp_rootv1p2": "adlcp_rootv1p2.xsd",
        IMSMD_NS: "imsmd_rootv1p2p1.xsd",
    }),
    "2004 3rd Edition": ("scorm2004_3rd", {
        "http://www.imsglobal.org/xsd/imscp_v1p1": "imscp_v1p1.xsd",
        "http://www.adlnet.org/xsd/adlcp_v1p3": "adlcp_v1p3.xsd",
        "http://www.adlnet.org/xsd/adlseq_v1p3": "adlseq_v1p3.xsd",
        "http://www.adlnet.org/xsd/adlnav_v1p3": "adlnav_v1p3.xsd",
        "http://www.imsglobal.org/xsd/imsss": "imsss_v1p0.xsd",
        "http://ltsc.ieee.org/xsd/LOM": "lom.xsd",
    }),
}
EDITIONS["2004 4th Edition"] = ("scorm2004_4th", EDITIONS["2004 3rd Edition"][1])
_DEFAULT_XML_NS = re.compile(rb'\sxmlns\s*=\s*["\']http://www\.w3\.org/XML/1998/namespace["\']')
_ANY_ANY = re.compile(rb'(<xsd?:any\s+namespace\s*=\s*["\'])##any(["\'])')


class SchemaError(Exception):
    """A schema folder that cannot be used (missing files, a file outside the folder)."""


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation in a manifest."""

    line: int
    message: str


def repair(data: bytes) -> bytes:
    """Apply the in-memory fixes to one schema document (a no-op for sound files)."""
    data = _DEFAULT_XML_NS.sub(b"", data)
    if IMSMD_NS.encode() in data and b'targetNamespace' in data:
        data = _ANY_ANY.sub(rb"\1##other\2", data)
    return data


class _LocalResolver(etree.Resolver):
    """Serves schema imports from one folder only; the W3C xml.xsd maps to its local copy."""

    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder.resolve()

    def resolve(self, url: str | None, pubid: str | None, context: object) -> object:
        if not url:
            return None
        if url == XML_NS_URL:
            path = self.folder / "xml.xsd"
            if not path.is_file():
                raise SchemaError(f"{self.folder}: no xml.xsd to stand in for {XML_NS_URL}")
        else:
            parsed = urlparse(url)
            if parsed.scheme not in ("", "file"):
                raise SchemaError(f"schema import of {url} refused: no network access")
            path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise SchemaError(f"schema file {path} is not in {self.folder}")
        return self.resolve_string(repair(path.read_bytes()), context,
                                   base_url=path.as_uri())


def _parser(folder: Path) -> etree.XMLParser:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False,
                             huge_tree=False)
    parser.resolvers.add(_LocalResolver(folder))
    return parser


def edition_folder(schemas: Path, edition: str) -> Path:
    """The folder for one edition: ``schemas/<edition folder>`` or ``schemas`` itself."""
    sub, files = EDITIONS[edition]
    for candidate in (schemas / sub, schemas):
        if all((candidate / f).is_file() for f in files.values()):
            return candidate
    raise SchemaError(f"{schemas}: no SCORM {edition} schemas (looked for {sub}/ and "
                      f"{', '.join(sorted(set(files.values())))})")


@lru_cache(maxsize=8)
def cached_schema(folder: Path, edition: str) -> etree.XMLSchema:
    """load_schema for folders that do not change (the official schemas)."""
    return load_schema(folder, edition)


def load_schema(folder: Path, edition: str) -> etree.XMLSchema:
    """One XMLSchema importing every namespace of the edition from ``folder``."""
    folder = folder.resolve()
    xs = "http://www.w3.org/2001/XMLSchema"
    driver = etree.Element(f"{{{xs}}}schema", nsmap={"xs": xs})
    for ns, name in EDITIONS[edition][1].items():
        etree.SubElement(driver, f"{{{xs}}}import", namespace=ns,
                         schemaLocation=(folder / name).as_uri())
    doc = etree.fromstring(etree.tostring(driver), _parser(folder),
                           base_url=(folder / "driver.xsd").as_uri())
    return etree.XMLSchema(doc)


def validate(manifest: etree._ElementTree | etree._Element, schemas: Path,
             edition: str, cache: bool = True) -> list[SchemaProblem]:
    """Schema problems of a parsed manifest against the edition's schemas under ``schemas``."""
    folder = edition_folder(Path(schemas), edition)
    schema = cached_schema(folder, edition) if cache else load_schema(folder, edition)
    if schema.validate(manifest):
        return []
    return [SchemaProblem(e.line, e.message) for e in schema.error_log]
