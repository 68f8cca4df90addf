#!/usr/bin/env bash
# Create .venv and install packager (and, with --test, everything the tests need).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip==25.3 >/dev/null
if [[ "${1:-}" == "--test" ]]; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
  if [[ -f package.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  # Ralph's LRS (cmi5 tests) lives in its own venv: its click pin conflicts with ours.
  .venv/bin/python -c "from tests.cmi5.lrs import ralph_bin; ralph_bin()"
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
# An editable install leaves our modules without bytecode, and where PYTHONDONTWRITEBYTECODE
# is set (as on some CI images) every run would compile them again (~20 ms per command);
# a wheel install has them compiled. Python recompiles in memory any module edited since.
.venv/bin/python -m compileall -q packager
