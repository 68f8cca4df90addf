"""Tool server settings, from arguments or PACKAGER_LTI_* environment variables (gunicorn)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

from packager.diagnostics import UsageError

ENV_PREFIX = "PACKAGER_LTI_"


@dataclass
class ToolSettings:
    """Everything the server needs; no secrets except the key folder's path."""

    bundles: Path = Path("dist")
    platforms: Path | None = None  # pylti1p3 ToolConfJsonFile format, re-read when it changes
    keys: Path = Path("keys")
    db: str = "sqlite:///instance/lti.sqlite"
    redis: str | None = None
    base_url: str | None = None  # public URL; default: from each request (with proxy_fix)
    title: str = "Packager courses"
    proxy_fix: int = 0  # proxies in front whose X-Forwarded-* headers are trusted
    cookie_check: bool = True
    launch_hours: float = 12.0
    outbox_interval: float = 1.0
    backoff: float = 2.0
    backoff_max: float = 600.0
    run_outbox: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ToolSettings:
        """Read PACKAGER_LTI_BUNDLES, _PLATFORMS, _KEYS, _DB, _REDIS, _BASE_URL, ... ."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _convert(f.name, str(f.type), raw)
        return cls(**values)  # type: ignore[arg-type]

    def check(self) -> None:
        if not self.bundles.is_dir():
            raise UsageError(f"bundle folder {self.bundles} does not exist")
        if self.platforms is not None and not self.platforms.is_file():
            raise UsageError(f"platform registrations {self.platforms} not found")
        if self.base_url:
            self.base_url = self.base_url.rstrip("/")


def _convert(name: str, kind: str, raw: str) -> object:
    try:
        if "Path" in kind:
            return Path(raw)
        if kind.startswith("bool"):
            return raw.lower() in ("1", "true", "yes", "on")
        if kind.startswith("int"):
            return int(raw)
        if kind.startswith("float"):
            return float(raw)
    except ValueError as exc:
        raise UsageError(f"{ENV_PREFIX}{name.upper()}: {exc}") from exc
    return raw
