"""The target registry: built-in targets plus third-party ones from entry points."""

from __future__ import annotations

import importlib

from packager.diagnostics import UsageError
from packager.targets.base import Target

# Built-ins are named here so the registry works from a source checkout too.
BUILTIN = {
    "web": "packager.targets.web:WebTarget",
    "lti": "packager.targets.lti:LtiTarget",
    "cc": "packager.targets.cc:CommonCartridgeTarget",
    "scorm12": "packager.targets.scorm12:Scorm12Target",
    "scorm2004": "packager.targets.scorm2004:Scorm2004Target",
    "cmi5": "packager.targets.cmi5:Cmi5Target",
    "qti": "packager.targets.qti:QtiTarget",
}
ENTRY_POINT_GROUP = "packager.targets"


def _load(spec: str) -> type[Target]:
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def registry() -> dict[str, str]:
    """Target name -> "module:Class", built-ins first, then plugins that add new names."""
    # Late import: reading every installed distribution's metadata costs ~12 ms, which a
    # build of built-in targets never needs (see get_target).
    from importlib.metadata import entry_points

    found = dict(BUILTIN)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep.value)
    return found


def target_names() -> list[str]:
    return list(registry())


def get_target(name: str) -> type[Target]:
    spec = BUILTIN.get(name)  # a plugin cannot replace a built-in, so no lookup is needed
    if spec is None:
        specs = registry()
        if name not in specs:
            raise UsageError(f"unknown target '{name}'; available: {', '.join(specs)}, all")
        spec = specs[name]
    return _load(spec)


def expand(names: list[str]) -> list[str]:
    """Resolve 'all' and drop repeats, keeping order."""
    out: list[str] = []
    for name in names:
        for n in (target_names() if name == "all" else [name]):
            if n not in out:
                get_target(n)
                out.append(n)
    return out
