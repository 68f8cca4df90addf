"""`packager lti serve` and `packager lti keys` as library functions (the CLI only calls these)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from packager.lti.config import ToolSettings
from packager.lti.keys import SigningKey, generate_key, jwks, retire_key


def startup_lines(base: str) -> list[str]:
    """What an admin needs to register the tool, printed when the server starts."""
    return [
        f"LTI tool configuration (JSON):  {base}/lti/config.json",
        f"Canvas developer key (JSON):    {base}/lti/canvas.json",
        f"Dynamic registration URL:       {base}/lti/register",
        f"Login initiation URL:           {base}/lti/login",
        f"Launch / redirect URL:          {base}/lti/launch",
        f"Public keys (JWKS):             {base}/.well-known/jwks.json",
    ]


def serve(settings: ToolSettings, host: str = "127.0.0.1", port: int = 8000,
          echo: Callable[[str], None] = print) -> None:
    """Run the development server (use gunicorn in production, see docs/lti-admin-guide.md)."""
    from packager.lti.flask_app import create_app

    app = create_app(settings)
    base = settings.base_url or f"http://{host}:{port}"
    for line in startup_lines(base):
        echo(line)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        app.extensions["packager_lti"].close()


def keys(keys_dir: str | os.PathLike[str], rotate: bool = False,
         retire: str | None = None) -> tuple[SigningKey, list[str]]:
    """Create (or rotate) the tool's key pair; returns the active key and every published kid."""
    if retire:
        retire_key(keys_dir, retire)
    key = generate_key(keys_dir, rotate=rotate)
    return key, [k["kid"] for k in jwks(Path(keys_dir))["keys"]]
