#!/usr/bin/env bash
# Set up and run the whole test suite (browser and server tests included).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh --test
bash scripts/setup.sh --test
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [[ $status -eq 5 ]]; then
  echo "pytest collected no tests" >&2
  exit 1
fi
exit $status
