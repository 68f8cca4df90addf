"""The preview server: the inspector page, the last good build, and live reload over SSE."""

from __future__ import annotations

import json
import mimetypes
import os
import sys
import threading
import webbrowser
from collections.abc import Callable, Iterable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import watchfiles

from packager.api import default_project_templates
from packager.diagnostics import Diagnostic, UsageError
from packager.preview.builder import MODES, Failure, Snapshot, safe_build
from packager.render import RUNTIME_DIR
from packager.templating import BUILTIN_DIR

STATIC_DIR = Path(__file__).parent
STATIC = {"inspector.js": "text/javascript", "inspector.css": "text/css"}
SCORM_AGAIN = Path("node_modules") / "scorm-again" / "dist" / "scorm-again.js"
KEEPALIVE_SECONDS = 15.0
WATCH_STEP_MS = 50  # quiet time before a burst of saves is rebuilt: editors write in bursts


def find_scorm_again(course_dir: Path) -> Path | None:
    """scorm-again from an `npm ci` in the working folder, above the course, or the checkout."""
    places = [Path.cwd(), *course_dir.resolve().parents, Path(__file__).resolve().parents[2]]
    for place in places:
        candidate = place / SCORM_AGAIN
        if candidate.is_file():
            return candidate
    return None


def _diag(d: Diagnostic) -> dict[str, Any]:
    return {**d.as_dict(), "text": d.format()}


class PreviewState:
    """The last good build, the latest outcome, and the threads waiting for the next one."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.generation = 0
        self.good: Snapshot | None = None
        self.good_generation = 0
        self.latest: Snapshot | Failure | None = None
        self.changed: list[str] = []
        self.closed = False

    def publish(self, result: Snapshot | Failure, changed: list[str]) -> None:
        with self.cond:
            self.generation += 1
            self.latest = result
            self.changed = changed
            if isinstance(result, Snapshot):
                self.good = result
                self.good_generation = self.generation
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until a generation other than ``seen`` exists (or timeout); return it."""
        with self.cond:
            self.cond.wait_for(lambda: self.generation != seen or self.closed, timeout)
            return self.generation

    def status(self) -> dict[str, Any]:
        """What the inspector shows: the latest outcome and the build it is serving."""
        with self.cond:
            latest, good = self.latest, self.good
            out: dict[str, Any] = {
                "generation": self.generation, "ok": isinstance(latest, Snapshot),
                "seconds": round(latest.seconds, 3) if latest else None,
                "changed": self.changed, "errors": [], "detail": "", "build": None,
            }
            if isinstance(latest, Failure):
                out["errors"] = [_diag(d) for d in latest.diagnostics if d.level == "error"]
                out["detail"] = latest.detail
            if good is not None:
                out["build"] = {
                    "generation": self.good_generation, "course": good.course,
                    "pages": list(good.pages), "seconds": round(good.seconds, 3),
                    "notes": [_diag(d) for d in good.notes],
                }
            return out


class PreviewServer:
    """Builds a course in memory, rebuilds it on every save, and serves it with the inspector."""

    def __init__(self, course_dir: str | os.PathLike[str], host: str = "127.0.0.1",
                 port: int = 0, scorm_again: Path | None | bool = True,
                 log: Callable[[str], None] | None = None) -> None:
        self.course_dir = Path(course_dir)
        if not self.course_dir.is_dir():
            raise UsageError(f"'{course_dir}' is not a course folder")
        self.project_templates = default_project_templates(self.course_dir)
        # True: look for it; a Path: use that file; None/False: serve without it.
        if scorm_again is True:
            self.scorm_again = find_scorm_again(self.course_dir)
        else:
            self.scorm_again = scorm_again or None
        self.log = log or (lambda text: print(text, file=sys.stderr, flush=True))
        self.state = PreviewState()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        try:
            self.httpd = ThreadingHTTPServer((host, port), _Handler)
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
                             "choose another --port (0 picks a free one)") from exc
        self.httpd.daemon_threads = True
        self.httpd.preview = self  # type: ignore[attr-defined]

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def status(self) -> dict[str, Any]:
        """The latest build's outcome as the inspector reads it."""
        return {**self.state.status(), "scormAgain": self.scorm_again is not None}

    def watched(self) -> list[Path]:
        """The course, the project's templates, and packager's own templates and runtime.

        The last two matter only to someone working on a theme or on packager itself.
        """
        places = [self.course_dir, self.project_templates, BUILTIN_DIR, RUNTIME_DIR]
        return [p for p in places if p is not None and p.is_dir()]

    def _shown_path(self, path: str) -> str:
        """A changed file as the author knows it: relative to the course when inside it."""
        resolved = Path(path).resolve()
        root = self.course_dir.resolve()
        return str(resolved.relative_to(root)) if resolved.is_relative_to(root) else path

    def rebuild(self, changed: Iterable[str] = ()) -> Snapshot | Failure:
        """Build now and publish the outcome; a failure keeps the last good build served."""
        result = safe_build(self.course_dir, self.project_templates)
        names = sorted({self._shown_path(p) for p in changed})
        self.state.publish(result, names)
        if isinstance(result, Snapshot):
            note = f" ({len(result.notes)} note(s))" if result.notes else ""
            self.log(f"built {result.course['id']} in {result.seconds:.2f} s{note}")
            for d in result.notes:
                self.log(d.format())
        else:
            for d in result.diagnostics:
                self.log(d.format())
            if result.detail:
                self.log(result.detail)
            self.log("build failed: still serving the last good build")
        return result

    def start(self) -> str:
        """Build once, then serve and watch in background threads; returns the page's URL."""
        self.rebuild()
        for target in (self.httpd.serve_forever, self._watch):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self.url

    def _watch(self) -> None:
        for changes in watchfiles.watch(*self.watched(), stop_event=self._stop,
                                        step=WATCH_STEP_MS, raise_interrupt=False):
            self.rebuild(path for _, path in changes)

    def wait(self) -> None:
        """Block until stop() is called (from another thread) or Ctrl+C."""
        while not self._stop.wait(3600):
            pass

    def stop(self) -> None:
        self._stop.set()
        self.state.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    def __enter__(self) -> PreviewServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(course_dir: str | os.PathLike[str], port: int = 8040,
          open_browser: bool = True) -> None:
    """Run the preview until Ctrl+C (what ``packager preview`` does)."""
    server = PreviewServer(course_dir, port=port)
    url = server.start()
    server.log(f"previewing {course_dir} at {url} (Ctrl+C to stop)")
    if server.scorm_again is None:
        server.log("scorm-again not found: SCORM modes are off; run 'npm ci' in the packager "
                   "checkout (standalone mode works without it)")
    if open_browser:
        webbrowser.open(url)
    try:
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


class _Handler(BaseHTTPRequestHandler):
    """Routes: / (inspector), /_preview/* (its files, status, events), /course/MODE/*."""

    server_version = "packager-preview"

    @property
    def preview(self) -> PreviewServer:
        return self.server.preview  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the terminal shows builds, not every request

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
        path = unquote(urlsplit(self.path).path)
        if path in ("/", "/index.html"):
            self._send((STATIC_DIR / "inspector.html").read_bytes(), "text/html; charset=utf-8")
        elif path.startswith("/_preview/"):
            self._preview_route(path[len("/_preview/"):])
        elif path.startswith("/course/"):
            self._course_file(path[len("/course/"):])
        else:
            self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

    def _preview_route(self, name: str) -> None:
        if name in STATIC:
            self._send((STATIC_DIR / name).read_bytes(), STATIC[name] + "; charset=utf-8")
        elif name == "status":
            self._send(json.dumps(self.preview.status()).encode(), "application/json")
        elif name == "events":
            self._events()
        elif name == "scorm-again.js" and self.preview.scorm_again is not None:
            self._send(self.preview.scorm_again.read_bytes(), "text/javascript")
        else:
            self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)

    def _course_file(self, rest: str) -> None:
        mode, _, name = rest.partition("/")
        good = self.preview.state.good
        files = good.files.get(mode) if good is not None and mode in MODES else None
        if files is None or (name or "index.html") not in files:
            self._send(b"not found", "text/plain", HTTPStatus.NOT_FOUND)
            return
        name = name or "index.html"
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith(("javascript", "json", "xml")):
            ctype += "; charset=utf-8"
        self._send(files[name], ctype)

    def _events(self) -> None:
        """Server-Sent Events: the status after every build, and a keep-alive comment."""
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        state, seen = self.preview.state, -1
        try:
            while True:
                generation = state.wait(seen, KEEPALIVE_SECONDS)
                if state.closed:
                    return
                if generation == seen:
                    self.wfile.write(b": keep-alive\n\n")
                else:
                    data = json.dumps(self.preview.status())
                    self.wfile.write(f"event: build\ndata: {data}\n\n".encode())
                    seen = generation
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            return  # the inspector was closed or reloaded

    def _send(self, body: bytes, ctype: str, status: HTTPStatus = HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the iframe navigated away mid-response (a reload overtook it)
