#!/usr/bin/env bash
# Install with the test tools, then lint, type-check and run every test (fast and real layers).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --dev
.venv/bin/ruff check
.venv/bin/ruff format --check
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
