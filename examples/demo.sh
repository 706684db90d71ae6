#!/usr/bin/env bash
# The README's demo, against the local emulator (no TD credentials needed): start the emulator
# with the demo parent segments, then validate → plan → apply → plan (no changes) → import one
# example against the empty demo segment, configure the never-configured one from scratch, and
# stop the emulator whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
workdir="$(mktemp -d)"
emulator_pid=""

cleanup() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

echo "== rtcfg emulator --port 0 (background)"
"$PY" -m rtcfg emulator --port 0 --update-seconds 0.5 >"$workdir/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q "listening on" "$workdir/emulator.log" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'http://[^ ]*' "$workdir/emulator.log" | head -1)"
[ -n "$url" ] || { echo "the emulator did not start:"; cat "$workdir/emulator.log"; exit 1; }
echo "emulator at $url"
export RTCFG_ENDPOINT="$url" TDX_API_KEY="demo/not-a-secret"

rtcfg() { "$PY" -m rtcfg "$@"; }
config=examples/product_recommendations.yaml

echo; echo "== rtcfg segments"
rtcfg segments

echo; echo "== rtcfg validate $config"
rtcfg validate "$config"

echo; echo "== rtcfg plan $config   (the demo segment 1069944 is empty)"
rtcfg plan "$config"

echo; echo "== rtcfg apply $config -y"
rtcfg apply "$config" -y

echo; echo "== rtcfg plan $config --detailed-exitcode   (applied: nothing left to do, exit 0)"
rtcfg plan "$config" --detailed-exitcode

echo; echo "== rtcfg import 1069944 -o imported.yaml, then plan it: no changes"
rtcfg import 1069944 -o "$workdir/imported.yaml"
sed -n '1,25p' "$workdir/imported.yaml"; echo "  ..."
rtcfg plan "$workdir/imported.yaml" --detailed-exitcode

echo; echo "== rtcfg status 1069944"
rtcfg status 1069944

echo; echo "== first-time setup: 1070001 is RT-enabled and was never configured (not_initialized)"
rtcfg status 1070001
RTCFG_PS_ID=1070001 rtcfg apply examples/cart_abandonment.yaml -y
RTCFG_PS_ID=1070001 rtcfg plan examples/cart_abandonment.yaml --detailed-exitcode
echo; echo "demo done; the emulator is stopped on exit"
