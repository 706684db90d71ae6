"""The words of the command line: each command's epilog (environment, exit codes, examples)
and what each says when Ctrl-C stops it.

Kept apart from ``rtcfg.cli`` so that the parsing code stays short and every help text reads
in one style: a one-line summary, a paragraph on what the command does, then the three epilog
sections below, built by ``epilog``. Plain strings only: no click here.
"""

from __future__ import annotations

from collections.abc import Sequence

# (name, what it does) of the environment variables every API command reads
API_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("TDX_API_KEY", "the TD master API key (TDX_API_KEY_<PROFILE> with --profile)"),
    ("TDX_PROFILE", "the profile, as --profile"),
    ("TD_API_KEY", "read when TDX_API_KEY is unset (deprecated)"),
    ("RTCFG_SITE", "the site, as --site (else TDX_SITE; default us01)"),
    ("RTCFG_ENDPOINT", "CDP API base URL, as --endpoint (e.g. the emulator)"),
    ("RTCFG_TD_ENDPOINT", "TD API base URL, as --td-endpoint"),
    ("NO_COLOR", "no colour in the output"),
)
CONFIG_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("${VAR}", "any variable a config file names (${VAR} or ${VAR:-default})"),
)
OFFLINE_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    *CONFIG_ENVIRONMENT,
    ("NO_COLOR", "no colour in the output"),
)
_ERROR = (1, "error: a bad config or option, an API or network error")


def _section(title: str, rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in rows)
    # a row that repeats the name above it continues that entry's text
    names = [" " if i and name == rows[i - 1][0] else name for i, (name, _) in enumerate(rows)]
    lines = [
        f"  {shown.ljust(width)}  {text}" for shown, (_, text) in zip(names, rows, strict=True)
    ]
    # "\b" keeps click from re-wrapping the paragraph that follows it
    return "\b\n" + title + ":\n" + "\n".join(lines)


def epilog(
    *,
    environment: Sequence[tuple[str, str]],
    exit_codes: Sequence[tuple[int, str]],
    examples: Sequence[str],
) -> str:
    """Environment variables, exit codes and examples, in the same layout for every command."""
    return "\n\n".join(
        [
            _section("Environment", environment),
            _section("Exit codes", [(str(code), text) for code, text in exit_codes]),
            "\b\nExamples:\n" + "\n".join(f"  {example}" for example in examples),
        ]
    )


GROUP = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[
        (0, "success (plan --detailed-exitcode: no changes)"),
        _ERROR,
        (2, "plan --detailed-exitcode: there are changes"),
        (3, "refused: destructive changes, nothing to confirm on, a stale saved plan"),
    ],
    examples=[
        "rtcfg validate rt_config.yaml",
        "rtcfg plan rt_config.yaml",
        "rtcfg apply rt_config.yaml",
        "rtcfg COMMAND --help",
    ],
)

VALIDATE = epilog(
    environment=[*OFFLINE_ENVIRONMENT, ("TDX_API_KEY …", "with --online, as for `rtcfg plan`")],
    exit_codes=[
        (0, "valid (warnings are allowed unless --strict)"),
        (1, "an error, or with --strict a warning, in any file"),
    ],
    examples=[
        "rtcfg validate rt_config.yaml",
        "rtcfg validate --strict configs/*.yaml",
        "rtcfg validate rt_config.yaml --online --format json",
    ],
)

SCHEMA = epilog(
    environment=[("(none)", "")],
    exit_codes=[(0, "printed or written"), (1, "the file cannot be written")],
    examples=["rtcfg schema -o rt_config.schema.json"],
)

PLAN = epilog(
    environment=[*CONFIG_ENVIRONMENT, *API_ENVIRONMENT],
    exit_codes=[
        (0, "the plan was made (with --detailed-exitcode: and it has no changes)"),
        (1, "error; with --format markdown or json the document still says why"),
        (2, "with --detailed-exitcode: the plan has changes"),
    ],
    examples=[
        "rtcfg plan rt_config.yaml",
        "rtcfg plan rt_config.yaml -o plan.json",
        "rtcfg plan rt_config.yaml --format markdown > plan.md",
        "rtcfg plan rt_config.yaml --detailed-exitcode --target 'attribute.cart_*'",
    ],
)

APPLY = epilog(
    environment=[*CONFIG_ENVIRONMENT, *API_ENVIRONMENT],
    exit_codes=[
        (0, "applied, or nothing to do"),
        (1, "error, or a step failed (run apply again to finish the rest)"),
        (3, "refused: destroys without --allow-destroy, no --yes off a terminal, declined,"),
        (3, "or a saved plan that is stale or was edited"),
    ],
    examples=[
        "rtcfg apply rt_config.yaml",
        "rtcfg apply rt_config.yaml --yes --allow-destroy",
        "rtcfg plan rt_config.yaml -o plan.json && rtcfg apply plan.json --yes",
    ],
)

IMPORT = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[(0, "written"), (1, "error, or the file exists and --force is not given")],
    examples=["rtcfg import 1069935", "rtcfg import 1069935 -o rt_config.yaml --force"],
)

SEGMENTS = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[(0, "listed (also when nothing matches)"), _ERROR],
    examples=["rtcfg segments", "rtcfg segments 'RT_*' --json"],
)

STATUS = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[(0, "reported"), _ERROR],
    examples=[
        "rtcfg status 1069935",
        "rtcfg status 1053580 --csm-request request.md --use-case 'cart abandonment'",
    ],
)

DISCOVER = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[(0, "listed"), (1, "error: unknown parent segment or database, API error")],
    examples=[
        "rtcfg discover 1069944",
        "rtcfg discover 1069944 --database events_db --json | jq '.id_candidates'",
    ],
)

INIT = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[
        (0, "written"),
        (1, "error: unknown table or database, the file exists without --force, API error"),
        (3, "refused: the segment already has RT configuration, RT 2.0 is off, or cancelled"),
    ],
    examples=[
        "rtcfg init 1069944 --use-case cart -y",
        "rtcfg init 1069944 --use-case both --database events_db -o rt_config.yaml",
        "rtcfg init 1069944 --use-case triggers -o rt_config.yaml -y",
    ],
)

REPORT = epilog(
    environment=API_ENVIRONMENT,
    exit_codes=[(0, "written"), (1, "error: unknown parent segment, invalid config, API error")],
    examples=[
        "rtcfg report rt_config.yaml",
        "rtcfg report 1069935 -o RT_CONFIG_SUMMARY.md",
    ],
)

# --- what each command does: a one-line summary (the command list shows it), then a paragraph

GROUP_HELP = """\
Treasure Data RT 2.0 configuration as code: validate, plan, apply, import.

Keep a parent segment's real-time configuration in rt_config.yaml: `validate` checks it
offline, `plan` shows what would change live (GETs only), `apply` makes the change, and
`import` writes the live configuration as a file. For a first setup, `discover` finds the
tables and keys, `init` writes a config for a use case and `report` summarises what is live.
`rtcfg emulator` serves a local copy of
the API to try all of it without an account.
"""

VALIDATE_HELP = """\
Check rt_config.yaml files and report every problem.

Each problem is printed as FILE:LINE:COL: severity: message, with a hint where one helps,
and every file is checked in one run. Nothing is sent to the API unless --online is given,
and then only GETs.
"""

SCHEMA_HELP = """\
Print the JSON Schema of rt_config.yaml.

Editors that speak the YAML language server check a file against it when the file starts
with `# yaml-language-server: $schema=rt_config.schema.json` and the schema is saved next to
it (`rtcfg import` writes both).
"""

SEGMENTS_HELP = """\
List parent segments: id, name, RT 2.0 enabled.

PATTERN keeps those whose name or id matches it: a glob (`RT_*`), or a part of the name.
Sends GETs only.
"""

STATUS_HELP = """\
Show a parent segment's RT 2.0 status and counts.

Prints whether RT 2.0 is enabled, whether a configuration exists, the setting's status (ok,
updating, …) and the counts of event tables, stitching keys, key events and attributes.
Sends GETs only.
"""

PLAN_HELP = """\
Show what apply would change, Terraform style.

Reads the live configuration of each file's parent segment (GETs only) and prints each
change: + create, ~ update in place, -/+ replace, - delete. A plan that fails to be made
prints, with --format markdown or json, a document that says why (exit 1).
"""

APPLY_HELP = """\
Make live state match the files, or apply a saved plan.

FILES are rt_config.yaml files, or one plan saved by `rtcfg plan -o`. Prints the plan, asks
for confirmation on a terminal (--yes skips it), then runs the steps in the order the API
needs, with progress on stderr. Replace and delete need --allow-destroy. A saved plan is
applied exactly, and refused if live state has changed since it was made. Running apply
again finishes what a failed or interrupted one left. Then it shows what is configured, the
console URL and the next steps (-q leaves that out; --format json gives it as fields).
"""

IMPORT_HELP = """\
Write the live configuration of a parent segment as YAML.

The file (rt_config.yaml, with the schema beside it) is what `rtcfg plan` needs to show no
changes: short forms where the API shape is exactly theirs, defaults left out. Anything the
format cannot express is named in a warning. An existing file is kept unless --force. Sends
GETs only.
"""

DISCOVER_HELP = """\
Find event tables, ID keys and batch attributes to use.

Lists the tables that look like event tables (rows, last update, columns), ID-stitching
candidates with the tables they appear in and the guide's advice, and the parent segment's
batch attributes. Sends GETs only: one table list per database, read concurrently.
"""

INIT_HELP = """\
Write a first rt_config.yaml for a use case.

Discovers the parent segment's tables and writes the key events, attributes, stitching keys
and primary key the guide recommends for the use case, using only tables and columns that
exist; a comment explains each choice and names what was left out. On a terminal it asks the
guide's questions; with --yes or without a terminal it takes the recommendations and flags.
A segment that already has RT configuration is refused: `rtcfg import` adopts it.
"""

REPORT_HELP = """\
Write a parent segment's configuration summary.

From live state (the truth): event tables with their filters, real-time attributes by type,
batch attributes, ID stitching and the profile key, a Mermaid graph of tables, key events and
attributes, the console URL and next steps. Given a config FILE, it also notes the primary key
and use case and says whether the file still matches live state.
"""

# What each command says when Ctrl-C stops it (exit 1): only apply has anything to finish.
INTERRUPTED = {
    "apply": "Interrupted. Run the command again; apply finishes what is left.",
    "plan": "Interrupted: no plan was made, and plan changes nothing live.",
    "import": "Interrupted: nothing was written.",
    "validate": "Interrupted.",
    "status": "Interrupted: status only reads; nothing was changed.",
    "segments": "Interrupted: segments only reads; nothing was changed.",
    "discover": "Interrupted: discover only reads; nothing was changed.",
    "init": "Interrupted: nothing was written.",
    "report": "Interrupted: nothing was written.",
}
INTERRUPTED_DEFAULT = "Interrupted."
