"""Installed into .venv-ralph with a .pth: Ralph's filesystem LRS appends each write.

ralph-malph 5.1.0 (and 4.2, 5.0) writes statements with the data backend's default
operation, CREATE, which refuses an existing file: its fs LRS stores the first POST and
answers 500 to every later one. Appending is what an LRS needs; nothing else changes.
"""


def _append_statements() -> None:
    try:
        from ralph.backends.data.base import BaseOperationType
        from ralph.backends.lrs.fs import FSLRSBackend
    except ImportError:  # pip installing ralph itself: nothing to patch yet
        return
    FSLRSBackend.default_operation_type = BaseOperationType.APPEND


_append_statements()
