"""``${VAR}`` and ``${VAR:-default}`` in a config's string values, from the environment.

A variable that holds the API key is never interpolated: the key would travel into plans and
pull request comments.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rtcfg.config.yamlio import KeyPath, LoadedDocument
from rtcfg.errors import Problem

# Variables that hold API keys (client.py reads them): never interpolated into a config.
_KEY_VARIABLE = re.compile(r"^(TDX_API_KEY(_\w+)?|TD_API_KEY)$")
# ``$$``, ``${NAME}``, ``${NAME:-default}``; any other ``${`` (unclosed, a bad name, a nested
# ``${``) is the last alternative, an error at its value rather than text passed through
_VAR_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}${]*))?\}|\$\{")


def interpolate(doc: LoadedDocument, env: Mapping[str, str]) -> list[Problem]:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string value, in place."""
    problems: list[Problem] = []

    def walk(node: Any, path: KeyPath) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and "$" in node:
            return _VAR_RE.sub(lambda m: _value(m, doc, path, env, problems), node)
        return node

    doc.data = walk(doc.data, ())
    return problems


def _value(
    match: re.Match[str],
    doc: LoadedDocument,
    path: KeyPath,
    env: Mapping[str, str],
    problems: list[Problem],
) -> str:
    """What one ``$$`` / ``${…}`` becomes; a problem (and the text as it was) when it is no
    variable, names the API key's variable, or is unset without a default."""
    if match.group(0) == "$$":
        return "$"
    name, default = match.group(1), match.group(2)
    if name is None:
        problems.append(
            doc.problem(
                path,
                f"'${{' at character {match.start() + 1} starts no valid variable",
                "write ${NAME} or ${NAME:-default} (NAME: letters, digits, _), "
                "and $$ for a literal $",
            )
        )
    elif _KEY_VARIABLE.match(name):
        problems.append(
            doc.problem(
                path,
                f"${{{name}}} would put the API key into the configuration, and from "
                "there into plans and pull request comments",
                "the key is read from the environment by rtcfg itself; remove this",
            )
        )
    elif name in env:
        return env[name]
    elif default is not None:
        return default
    else:
        problems.append(
            doc.problem(
                path,
                f"environment variable {name} is not set",
                f"export {name}=… or write ${{{name}:-default}}",
            )
        )
    return match.group(0)
