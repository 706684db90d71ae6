#!/usr/bin/env bash
# The README's demo: validate every example. Later stages (plan, apply, import) run against the
# local emulator once they exist.
set -euo pipefail
cd "$(dirname "$0")/.."
RTCFG="${RTCFG:-.venv/bin/rtcfg}"

echo "== rtcfg validate examples/*.yaml"
"$RTCFG" validate examples/*.yaml
