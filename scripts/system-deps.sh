#!/usr/bin/env bash
# Debian packages the project needs, installed only when missing.
#   system-deps.sh          what building needs (Python's venv module)
#   system-deps.sh --test   plus what the tests need (Chromium, zip, npm, Redis, PostgreSQL)
set -euo pipefail
PY=${PYTHON:-python3}
need=()
"$PY" -c "import ensurepip, venv" >/dev/null 2>&1 || need+=(python3-venv)
if [[ "${1:-}" == "--test" ]]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium chromium-driver)
  command -v zip >/dev/null 2>&1 || need+=(zip)
  command -v npm >/dev/null 2>&1 || need+=(npm)
  # the LTI scale and fault tests (tests/scale) run their own Redis and PostgreSQL
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
fi
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing system packages: ${need[*]} (run: sudo apt-get install ${need[*]})" >&2
    exit 2
  fi
  echo "installing system packages: ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
