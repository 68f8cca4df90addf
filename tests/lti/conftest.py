"""Fixtures for the LTI tests: a test platform, the tool server, and a browser that maps
platform.test to 127.0.0.1 so the tool runs in a cross-site iframe (localhost vs platform.test)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from packager import api
from packager.lti.config import ToolSettings
from packager.lti.flask_app import create_app
from packager.lti.keys import generate_key
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, ROOTS
from tests.lti.platform import Platform


@pytest.fixture(scope="session")
def lti_browser(playwright):
    """Headless system Chromium; platform.test resolves to 127.0.0.1."""
    instance = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--host-resolver-rules=MAP platform.test 127.0.0.1"])
    yield instance
    instance.close()


@pytest.fixture(scope="session")
def lti_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The basic course built once as an LTI bundle, and the tool's key pair."""
    root = tmp_path_factory.mktemp("lti")
    bundles = root / "bundles"
    api.build(ROOTS / "basic", ["lti"], bundles)
    generate_key(root / "keys")
    return {"bundles": bundles, "keys": root / "keys", "root": root}


@dataclass
class RunningTool:
    """A tool server on localhost in this process."""

    base: str
    app: Any
    server: Any
    settings: ToolSettings
    registrations: Path
    stopped: bool = field(default=False)

    @property
    def tool(self) -> Any:
        return self.app.extensions["packager_lti"]

    def stop(self) -> None:
        if not self.stopped:
            self.server.shutdown()
            self.tool.close()
            self.stopped = True


def write_registrations(path: Path, *platforms_and_clients: tuple[Platform, Any]) -> None:
    data: dict[str, list[dict[str, Any]]] = {}
    for platform, client in platforms_and_clients:
        data.setdefault(platform.issuer, []).append(platform.registration_entry(client))
    path.write_text(json.dumps(data, indent=1))


@pytest.fixture
def platform() -> Iterator[Platform]:
    p = Platform().start()
    yield p
    p.stop()


def run_tool(lti_files: dict[str, Path], folder: Path, platform: Platform | None = None,
             db: str | None = None, **overrides: Any) -> RunningTool:
    """Start a tool server on localhost, registered with ``platform`` (client tool-1, dep-1)."""
    registrations = folder / "platforms.json"
    if not registrations.exists():
        registrations.write_text("{}")
    settings = ToolSettings(bundles=lti_files["bundles"], platforms=registrations,
                            keys=lti_files["keys"], db=db or f"sqlite:///{folder}/tool.sqlite",
                            outbox_interval=0.1, backoff=0.2, backoff_max=1.0,
                            # Optional: run the same tests on a Redis cache / another database.
                            redis=os.environ.get("PACKAGER_LTI_TEST_REDIS") or None)
    if os.environ.get("PACKAGER_LTI_TEST_DB") and db is None:
        settings.db = os.environ["PACKAGER_LTI_TEST_DB"]
    for name, value in overrides.items():
        setattr(settings, name, value)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://localhost:{server.server_port}"
    tool = RunningTool(base, app, server, settings, registrations)
    if platform is not None:
        client = platform.add_client(base)
        write_registrations(registrations, (platform, client))
    return tool


@pytest.fixture
def start_tool(lti_files: dict[str, Path], tmp_path: Path) -> Iterator[Callable[..., RunningTool]]:
    """Start tool servers for one test; all are stopped after it."""
    running: list[RunningTool] = []

    def start(platform: Platform | None = None, db: str | None = None,
              **overrides: Any) -> RunningTool:
        tool = run_tool(lti_files, tmp_path, platform, db, **overrides)
        running.append(tool)
        return tool

    yield start
    for tool in running:
        tool.stop()


@pytest.fixture(scope="module")
def shared_setup(lti_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[tuple[Platform, RunningTool]]:
    """One platform and tool for a module whose tests do not depend on each other's state."""
    platform = Platform().start()
    tool = run_tool(lti_files, tmp_path_factory.mktemp("shared"), platform)
    yield platform, tool
    tool.stop()
    platform.stop()
