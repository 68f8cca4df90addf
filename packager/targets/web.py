"""The web target: the course as standalone HTML, state kept in the browser."""

from __future__ import annotations

from packager.targets.base import Target


class WebTarget(Target):
    """Standalone HTML: the base every LMS target wraps."""

    name = "web"
    adapter = "web"
    description = "standalone HTML (progress kept in the browser)"
