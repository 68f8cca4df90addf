"""Live preview: the course rebuilt on every save, inside an LMS inspector page."""

from __future__ import annotations

from packager.preview.server import PreviewServer, serve

__all__ = ["PreviewServer", "serve"]
