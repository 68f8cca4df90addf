"""Ralph's LRS (PyPI ralph-malph) for the tests: own venv, credentials, server on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

REQUIREMENTS = Path(__file__).with_name("requirements-ralph.txt")
FS_APPEND = Path(__file__).with_name("ralph_fs_append.py")
# Ralph gets a venv of its own: ralph-malph[cli] pins click<8.2.1, packager pins click==8.5.1.
VENV = Path(os.environ.get("PACKAGER_RALPH_VENV", ROOT / ".venv-ralph"))
XAPI_VERSION = "1.0.3"


def ralph_bin() -> Path:
    """The ralph command, installing the pinned set into VENV first when it is missing or stale."""
    ralph = VENV / "bin" / "ralph"
    stamp = VENV / "requirements.sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes() + FS_APPEND.read_bytes()).hexdigest()
    if ralph.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
        return ralph
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    pip = subprocess.run([str(VENV / "bin" / "python"), "-m", "pip", "install", "-q",
                          "--disable-pip-version-check", "-r", str(REQUIREMENTS)],
                         capture_output=True, text=True)
    if pip.returncode:
        raise RuntimeError(f"installing Ralph failed:\n{pip.stdout}\n{pip.stderr}")
    # The one fix Ralph's fs LRS needs to store more than one POST (see ralph_fs_append.py).
    site = subprocess.run([str(VENV / "bin" / "python"), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "packager_ralph_fs_append.py").write_bytes(FS_APPEND.read_bytes())
    (Path(site) / "packager_ralph_fs_append.pth").write_text("import packager_ralph_fs_append\n")
    stamp.write_text(wanted + "\n")
    return ralph


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Ralph:
    """A running Ralph LRS with the filesystem backend; statements only (no State API)."""

    url: str  # e.g. http://127.0.0.1:8100/xAPI/
    username: str
    password: str
    process: subprocess.Popen[bytes]
    log: Path
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "X-Experience-API-Version": XAPI_VERSION}

    def request(self, method: str, path: str, body: Any = None,
                query: dict[str, str] | None = None) -> tuple[int, bytes]:
        """One call to the LRS; returns (status, body) whatever the status."""
        url = self.url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def statements(self, registration: str) -> list[dict[str, Any]]:
        """Every statement of a registration, in the order the LRS stored them."""
        out: list[dict[str, Any]] = []
        # Sorted by "stored" below: a stable sort keeps a batch in its order, and Ralph's fs
        # backend reads its file oldest first (its "ascending" reverses that).
        query = {"registration": registration, "limit": "100"}
        path = "statements"
        while True:
            status, body = self.request("GET", path, query=query)
            assert status == 200, (status, body[:500])
            page = json.loads(body)
            out += page["statements"]
            more = page.get("more")
            if not more:
                return sorted(out, key=lambda st: st["stored"])
            parts = urllib.parse.urlsplit(more)
            path = "statements"
            query = dict(urllib.parse.parse_qsl(parts.query))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_ralph(workdir: Path) -> Ralph:
    """Create credentials with ``ralph auth`` and run ``ralph runserver -b fs`` on 127.0.0.1."""
    ralph = ralph_bin()
    workdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.update({
        "RALPH_APP_DIR": str(workdir / "app"),
        "RALPH_AUTH_FILE": str(workdir / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_HISTORY_FILE": str(workdir / "history.json"),
    })
    username, password = "lms", "lms-secret-for-tests"
    subprocess.run([str(ralph), "auth", "-u", username, "-p", password, "-s", "all",
                    "-M", "mailto:lms@packager.example", "-w"],
                   env=env, check=True, capture_output=True)
    port = free_port()
    log = workdir / "ralph.log"
    process = subprocess.Popen(
        [str(ralph), "runserver", "-b", "fs", "-h", "127.0.0.1", "-p", str(port),
         "--fs-default-directory-path", str(workdir / "data")],
        env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=workdir)
    (workdir / "data").mkdir(exist_ok=True)
    lrs = Ralph(f"http://127.0.0.1:{port}/xAPI/", username, password, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ralph runserver exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/__heartbeat__", timeout=2):
                return lrs
        except OSError:
            time.sleep(0.2)
    lrs.stop()
    raise RuntimeError(f"ralph runserver did not answer in 60 s:\n{log.read_text()[-3000:]}")
