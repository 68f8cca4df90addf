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
else
  .venv/bin/python -m pip install -q --disable-pip-version-check -e .
fi
