"""packager: compile Markdown + YAML courses into LMS packages."""

__version__ = "0.1.0"
