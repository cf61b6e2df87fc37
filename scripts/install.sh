#!/usr/bin/env bash
# Install objections into ./.venv on a fresh Debian/Ubuntu machine.
#   bash scripts/install.sh         the tool and its bundled offline models
#   bash scripts/install.sh --dev   also the test tools: espeak-ng and sox (synthesized test
#                                   audio), Chromium (report tests), pytest, ruff, mypy
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

if [ "$dev" = 1 ]; then
  packages="espeak-ng sox libsox-fmt-all chromium chromium-driver"
  missing=$(for p in $packages; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
pip=".venv/bin/python -m pip"
# The CPU build of torch first: a plain `torch` requirement would pull a multi-GB CUDA build.
$pip install -q torch==2.13.0
if [ "$dev" = 1 ]; then
  $pip install -q -e ".[dev]"
else
  $pip install -q -e .
fi
echo "installed: $(.venv/bin/objections --version)" >&2
