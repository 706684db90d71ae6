#!/usr/bin/env bash
# The README's demo, against the local emulator (no TD credentials needed): start the emulator
# with the demo parent segments, validate the examples, show the demo segment as the API sees
# it, and stop the emulator whatever happens. plan → apply → plan → import join this script as
# those commands land.
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

echo; echo "== rtcfg validate examples/<use case>.yaml"
"$PY" -m rtcfg validate examples/product_recommendations.yaml examples/cart_abandonment.yaml \
  examples/event_triggers.yaml

echo; echo "== the demo parent segment, as the API reports it"
"$PY" - <<'PYEOF'
import json, os, urllib.request
base, key = os.environ["RTCFG_ENDPOINT"], os.environ["TDX_API_KEY"]
def get(path):
    req = urllib.request.Request(base + path, headers={"Authorization": f"TD1 {key}"})
    with urllib.request.urlopen(req) as resp:
        return json.load(resp)
for segment in get("/audiences"):
    print(f"  {segment['id']}  {segment['name']:24s} RT enabled: {segment['realtimeEnabled']}")
setting = get("/audiences/1069944/realtime_setting")
print(f"  1069944 realtime_setting: status {setting['status']}, "
      f"{len(setting['eventTables'])} event tables, {len(setting['keyColumns'])} keys")
PYEOF
echo; echo "demo done; the emulator is stopped on exit"
