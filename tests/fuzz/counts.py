"""Shared by the fuzz tests and their conftest: the example budget and the cases run."""

from __future__ import annotations

import os
from collections import Counter

# The loader's fuzz tests use the same variable: PACKAGER_FUZZ_EXAMPLES=5000 runs longer.
EXAMPLES = int(os.environ.get("PACKAGER_FUZZ_EXAMPLES", "150"))
CASES: Counter[str] = Counter()
