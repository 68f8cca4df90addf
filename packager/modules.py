"""Turns one modules/*.md file into a Module: front matter, pages, questions, references."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit

from markdown_it.token import Token

from packager.diagnostics import Diagnostics, Location
from packager.markdown import Markdown, has_dangerous_html, inline_text, is_external
from packager.model import MODULE_KINDS, HtmlBlock, Module, Page, Question, QuizBlock
from packager.questions import check_keys, parse_question
from packager.yamlsrc import YMap, load_yaml

FRONT_MATTER_KEYS = ("title", "kind", "minutes", "objectives", "pool", "shuffle", "attempts")
ASSESSMENT_ONLY = ("pool", "shuffle", "attempts")
_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)^---[ \t]*\r?$\n?", re.S | re.M)


@dataclass
class ModuleContext:
    """What parsing a module needs from the course: its root and shared state."""

    root: Path  # the course folder as the user gave it
    md: Markdown
    diags: Diagnostics
    assets: frozenset[str] = frozenset()  # package paths of the files found under assets/
    # Every quiz block's id, valid or not, in file order: duplicates are found across the
    # course once all modules are parsed (see duplicate_ids), whichever process parsed them.
    quiz_ids: list[tuple[str, Location]] = field(default_factory=list)
    graded_blocks: int = 0  # graded quiz blocks of the module being parsed, valid or not

    @cached_property
    def real_root(self) -> Path:
        """The course folder with symlinks resolved (once: references are checked often)."""
        return self.root.resolve()


def parse_module(module_id: str, path: Path, ctx: ModuleContext) -> Module | None:
    """Parse one module file; every problem goes to ``ctx.diags``."""
    diags, spath = ctx.diags, str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        diags.error(Location(spath, 1, 1), f"file is not UTF-8 text ({exc.reason})",
                    "save the file as UTF-8")
        return None
    except OSError as exc:
        diags.error(Location(spath), f"cannot read module: {exc.strerror}")
        return None

    meta: YMap | None = None
    body, body_offset = text, 0
    match = _FRONT.match(text)
    if match:
        loaded = load_yaml(match.group(1), spath, diags, line_offset=1)
        if loaded is not None and not isinstance(loaded, YMap):
            diags.error(Location(spath, 2, 1), "front matter must be a YAML mapping")
        elif loaded is not None:
            meta = loaded
        body_offset = text[: match.end()].count("\n")
        body = text[match.end():]
    elif text.startswith("---"):
        diags.error(Location(spath, 1, 1), "front matter is not closed",
                    "end the front matter with a line holding only '---'")
    meta = meta if meta is not None else _empty_map(spath)
    check_keys(meta, FRONT_MATTER_KEYS, "module front matter", diags)

    kind = meta.get("kind", "lesson")
    if kind not in MODULE_KINDS:
        diags.error(meta.value_loc("kind"), f"unknown module kind '{kind}'",
                    f"one of: {', '.join(MODULE_KINDS)}")
        kind = "lesson"
    for key in ASSESSMENT_ONLY:
        if key in meta and kind != "assessment":
            diags.error(meta.key_loc(key), f"'{key}' is only allowed in assessment modules",
                        "set 'kind: assessment'")

    ctx.graded_blocks = 0
    pages = _parse_pages(module_id, kind, body, body_offset, path, ctx)
    title = meta.get("title")
    if title is None:
        title = pages[0].title if pages else module_id
    elif not isinstance(title, str) or not title.strip():
        diags.error(meta.value_loc("title"), "'title' must be text")
        title = module_id
    minutes = _number(meta, "minutes", 0, diags)
    objectives = meta.get("objectives", [])
    if not isinstance(objectives, list) or not all(isinstance(o, str) for o in objectives):
        diags.error(meta.value_loc("objectives"), "'objectives' must be a list of text")
        objectives = []
    pool = _integer(meta, "pool", None, 1, diags)
    attempts = _integer(meta, "attempts", 0, 0, diags)
    shuffle = meta.get("shuffle", False)
    if not isinstance(shuffle, bool):
        diags.error(meta.value_loc("shuffle"), "'shuffle' must be true or false")
        shuffle = False

    module = Module(id=module_id, title=str(title).strip(), kind=kind,
                    loc=Location(spath, 1, 1), pages=tuple(pages), minutes=minutes,
                    objectives=tuple(o.strip() for o in objectives), pool=pool,
                    shuffle=shuffle, attempts=attempts or 0)
    # Count invalid questions too: their own errors are reported, the pool should not be.
    if pool is not None and pool > ctx.graded_blocks:
        diags.error(meta.value_loc("pool"), f"pool of {pool} is larger than the "
                    f"{ctx.graded_blocks} graded questions in this module",
                    "lower 'pool' or add questions")
    if not pages:
        diags.error(Location(spath, body_offset + 1, 1), "module has no pages",
                    "start a page with a level-1 heading: '# Title'")
    return module


def _empty_map(path: str) -> YMap:
    empty = YMap()
    empty.loc, empty.key_locs, empty.value_locs = Location(path, 1, 1), {}, {}
    return empty


def _number(meta: YMap, key: str, default: float, diags: Diagnostics) -> float:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        diags.error(meta.value_loc(key), f"'{key}' must be a number >= 0")
        return default
    return value


def _integer(meta: YMap, key: str, default: int | None, low: int,
             diags: Diagnostics) -> int | None:
    value = meta.get(key, default)
    if value is default:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        diags.error(meta.value_loc(key), f"'{key}' must be a whole number >= {low}")
        return default
    return value


def _parse_pages(module_id: str, kind: str, body: str, offset: int, path: Path,
                 ctx: ModuleContext) -> list[Page]:
    diags, spath = ctx.diags, str(path)
    tokens = ctx.md.parse(body)

    def loc_of(token: Token) -> Location:
        return Location(spath, offset + (token.map[0] if token.map else 0) + 1, 1)

    real_dir = path.parent.resolve()

    def resolve(url: str, line: int) -> str | None:
        return _resolve_ref(url, Location(spath, offset + line + 1, 1), path, real_dir, ctx)

    pages: list[Page] = []
    current: list[Token] | None = None
    title, title_loc = "", Location(spath)
    reported_preamble = False

    def flush() -> None:
        if current is None:
            return
        blocks = _blocks(current, module_id, kind, offset, spath, ctx, resolve)
        pages.append(Page(id=f"{module_id}-p{len(pages) + 1}", title=title, module_id=module_id,
                          blocks=tuple(blocks), loc=title_loc))

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.type == "heading_open" and tok.tag == "h1" and tok.level == 0:
            flush()
            title = inline_text(tokens[i + 1]) or f"Page {len(pages) + 1}"
            title_loc = loc_of(tok)
            current = []
            i += 3
            continue
        if current is None:
            if not reported_preamble:
                diags.error(loc_of(tok), "text before the first level-1 heading",
                            "start the module with '# Page title' (each '# ' starts a page)")
                reported_preamble = True
        else:
            current.append(tok)
        i += 1
    flush()
    return pages


def _blocks(tokens: list[Token], module_id: str, kind: str, offset: int, spath: str,
            ctx: ModuleContext, resolve) -> list[HtmlBlock | QuizBlock]:
    blocks: list[HtmlBlock | QuizBlock] = []
    run: list[Token] = []

    def flush_run() -> None:
        if run:
            html = ctx.md.render_blocks(run, resolve).strip()
            if html:
                blocks.append(HtmlBlock(html))
            run.clear()

    for tok in tokens:
        if tok.type == "fence" and tok.info.strip() == "quiz":
            start = offset + tok.map[0] + 1  # lines before the YAML inside the fence
            loc = Location(spath, start, 1)
            if tok.level != 0:
                ctx.diags.error(loc, "a quiz block must not be nested in a list or quote",
                                "start the ```quiz fence at the beginning of a line")
                continue
            data = load_yaml(tok.content, spath, ctx.diags, line_offset=start)
            if data is None:
                if tok.content.strip() == "":
                    ctx.diags.error(loc, "empty quiz block")
                continue
            _note_block(data, loc, kind, ctx)
            question: Question | None = parse_question(data, loc, module_id, kind, ctx.md,
                                                       ctx.diags)
            if question:
                flush_run()
                blocks.append(QuizBlock(question))
            continue
        if tok.type in ("html_block", "html_inline") and has_dangerous_html(tok.content):
            ctx.diags.warning(Location(spath, offset + (tok.map[0] if tok.map else 0) + 1, 1),
                              "raw HTML contains scripts, iframes or event handlers; they are "
                              "removed from the package")
        for child in tok.children or ():
            if child.type == "html_inline" and has_dangerous_html(child.content):
                ctx.diags.warning(Location(spath, offset + tok.map[0] + 1, 1),
                                  "inline HTML contains scripts or event handlers; they are "
                                  "removed from the package")
            if child.type == "image" and not inline_text(child).strip():
                ctx.diags.warning(Location(spath, offset + tok.map[0] + 1, 1),
                                  f"image '{child.attrGet('src')}' has no alt text",
                                  "describe the image: ![what it shows](path)")
        run.append(tok)
    flush_run()
    return blocks


def duplicate_ids(quiz_ids: list[tuple[str, Location]], diags: Diagnostics) -> None:
    """Question ids must be unique in the course: report each reuse at its block."""
    first: dict[str, Location] = {}
    for qid, loc in quiz_ids:
        if qid in first:
            diags.error(loc, f"duplicate question id '{qid}'",
                        f"first used at {first[qid]}; ids must be unique in the course")
        else:
            first[qid] = loc


def _note_block(data: object, loc: Location, kind: str, ctx: ModuleContext) -> None:
    """Course-wide checks that must see every quiz block, valid or not."""
    if not isinstance(data, YMap):
        return
    qid = data.get("id")
    if isinstance(qid, str):
        ctx.quiz_ids.append((qid, loc))
    graded = data.get("graded", kind == "assessment")
    if graded is True and data.get("type") != "likert" and kind != "evaluation":
        ctx.graded_blocks += 1


def _resolve_ref(url: str, loc: Location, md_path: Path, real_dir: Path,
                 ctx: ModuleContext) -> str | None:
    """Map a reference relative to the Markdown file to its path in the package.

    ``real_dir`` is the file's folder with symlinks resolved.
    """
    if not url or is_external(url):
        return None
    parts = urlsplit(url)
    rel = unquote(parts.path)
    if rel.startswith("/"):
        ctx.diags.error(loc, f"absolute path '{url}'", "reference assets relative to this file, "
                        "e.g. ../assets/picture.png")
        return None
    root = ctx.real_root
    target = (md_path.parent / rel)
    normal = Path(os.path.normpath(real_dir / rel))
    inside = normal.is_relative_to(root)
    package_path = normal.relative_to(root).as_posix() if inside else ""
    if package_path in ctx.assets:  # found by the asset scan, which refused links leaving
        return _use(package_path, parts)
    if not inside:
        ctx.diags.error(loc, f"'{url}' points outside the course folder",
                        "keep every file the course uses under its assets/ folder")
        return None
    if not target.exists():
        ctx.diags.error(loc, f"missing file '{url}'",
                        f"expected at {normal.relative_to(root).as_posix()}")
        return None
    real = target.resolve()
    if not real.is_relative_to(root):
        ctx.diags.error(loc, f"'{url}' is a symlink that leaves the course folder",
                        "copy the file into assets/ instead of linking to it")
        return None
    if not package_path.startswith("assets/"):
        ctx.diags.error(loc, f"'{url}' is not under assets/",
                        "move the file into the course's assets/ folder")
        return None
    return _use(package_path, parts)


def _use(package_path: str, parts: SplitResult) -> str:
    suffix = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment
                                                           if parts.fragment else "")
    return package_path + suffix
