#!/usr/bin/env bash
# Set up and build the sample course into dist/ for every target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
bash scripts/setup.sh
.venv/bin/packager build courses/ethics-mh --target all --out dist
