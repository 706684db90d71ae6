#!/usr/bin/env bash
# The step of action.yml that runs rtcfg. Inputs come as environment variables (never through
# ${{ }} inside the script, so no input can inject shell code):
#   RTCFG_COMMAND  validate | plan | drift | apply
#   RTCFG_CONFIG   config files, separated by spaces or newlines (globs allowed)
#   RTCFG_ARGS     more arguments, split on spaces
#   TDX_API_KEY    from the workflow's secret, for plan, drift and apply
# Writes the outputs exitcode, summary and plan-file, and the plan to the job summary.
set -uo pipefail
# the virtualenv of the install step; the PATH is set here, not through GITHUB_PATH
PATH="${RUNNER_TEMP:?}/rtcfg-venv/bin:$PATH"

# word splitting and glob expansion are wanted here: "segments/*/rt_config.yaml"
# shellcheck disable=SC2206
files=($RTCFG_CONFIG)
# shellcheck disable=SC2206
args=(${RTCFG_ARGS:-})
out="$RUNNER_TEMP/rtcfg-$RTCFG_COMMAND"
mkdir -p "$out"
plan_file=""

# A value in a workflow command line (::error ...::VALUE), with GitHub's escapes: a newline
# or carriage return in a live name would otherwise end the line and start a command of its
# own, and a % would be read as the start of an escape.
command_value() {
  local value=${1//'%'/%25}
  value=${value//$'\r'/%0D}
  printf '%s' "${value//$'\n'/%0A}"
}

case "$RTCFG_COMMAND" in
  validate)
    rtcfg validate "${files[@]}" "${args[@]}" | tee "$out/validate.txt"
    code=${PIPESTATUS[0]}
    ;;
  plan)
    # markdown for the comment; a plan that fails still prints one that says why (exit 1)
    plan_file="$out/plan.md"
    rtcfg plan "${files[@]}" --format markdown --detailed-exitcode "${args[@]}" >"$plan_file"
    code=$?
    cat "$plan_file" >>"$GITHUB_STEP_SUMMARY"
    ;;
  drift)
    plan_file="$out/drift.txt"
    rtcfg plan "${files[@]}" --detailed-exitcode -o "$out/drift.json" "${args[@]}" | tee "$plan_file"
    code=${PIPESTATUS[0]}
    { echo '### rtcfg drift check'; echo; echo '```'; cat "$plan_file"; echo '```'; } >>"$GITHUB_STEP_SUMMARY"
    if [[ $code -eq 2 ]]; then
      drifted=$(python - "$out/drift.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
print(", ".join(f"{c['action']} {s['parent_segment_id']}/{c['address']}"
                for s in plan["segments"] for c in s["changes"]))
PY
      )
      echo "::error title=rtcfg drift::live state differs from the configuration: $(command_value "$drifted")"
    fi
    ;;
  apply)
    rtcfg apply "${files[@]}" --yes "${args[@]}" | tee "$out/apply.txt"
    code=${PIPESTATUS[0]}
    ;;
  *)
    echo "::error title=rtcfg::unknown command '$(command_value "$RTCFG_COMMAND")' (validate, plan, drift or apply)"
    code=1
    ;;
esac

summary=""
if [[ "$RTCFG_COMMAND" == plan && -s "$plan_file" ]]; then
  summary=$(grep -m1 -E '^\*\*(Plan|No changes)' "$plan_file" | tr -d '*' || true)
elif [[ "$RTCFG_COMMAND" == apply && -s "$out/apply.txt" ]]; then
  # apply's result line; the configuration summary after it is for people
  summary=$(grep -m1 -E '^(Apply |No changes)' "$out/apply.txt" || tail -n 1 "$out/apply.txt")
elif [[ -s "$out/$RTCFG_COMMAND.txt" ]]; then
  summary=$(tail -n 1 "$out/$RTCFG_COMMAND.txt")  # validate's or drift's last line
fi
{
  echo "exitcode=$code"
  echo "summary=$summary"
  echo "plan-file=$plan_file"
} >>"$GITHUB_OUTPUT"

# plan reports; the workflow decides (it comments first, then fails on exit 1)
if [[ "$RTCFG_COMMAND" == plan ]]; then
  exit 0
fi
exit "$code"
