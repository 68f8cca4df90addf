"""SCORM tooling shared by targets and ``packager check``: offline schemas, package checks."""
