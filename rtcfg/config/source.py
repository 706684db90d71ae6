"""The text of a config file: reading it (capped in size; ``-`` is standard input), decoding
it, and ``${VAR}`` interpolation. Split from ``rtcfg.config.models`` (the models and loading)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rtcfg.config.yamlio import LoadedDocument, position_to_mark
from rtcfg.errors import Problem

# Variables that hold API keys (client.py reads them): never interpolated into a config.
_KEY_VARIABLE = re.compile(r"^(TDX_API_KEY(_\w+)?|TD_API_KEY)$")
# ``$$``, ``${NAME}``, ``${NAME:-default}``; any other ``${`` (unclosed, a bad name, a nested
# ``${``) is the last alternative, an error at its value rather than text passed through
_VAR_RE = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}${]*))?\}|\$\{")

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a config of 600 objects is well under 1 MiB
STDIN = "-"


class ConfigReadError(Exception):
    """A config file that cannot be read as one (missing, a folder, too large, endless)."""


def read_config_bytes(path: str | Path) -> bytes:
    """The bytes of a config file, or of standard input for ``-``; at most MAX_CONFIG_BYTES
    are read, so ``/dev/zero`` or a runaway pipe is a message, not an exhausted machine."""
    import sys

    try:
        if str(path) == STDIN:
            raw = sys.stdin.buffer.read(MAX_CONFIG_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigReadError(f"cannot read file: {exc.strerror or exc}") from None
    except (AttributeError, ValueError):  # no usable standard input (closed, or text only)
        raise ConfigReadError("cannot read a config from standard input here") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigReadError(
            f"the file is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB: not a config"
        )
    return raw


def decode_config(raw: bytes, file: str) -> str | Problem:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, col = position_to_mark(raw, exc.start)
        return Problem(
            file,
            line,
            col,
            f"the file is not UTF-8 text (byte 0x{raw[exc.start]:02x})",
            "save the file as UTF-8",
        )


def interpolate(doc: LoadedDocument, env: Mapping[str, str]) -> list[Problem]:
    """Replace ``${VAR}`` / ``${VAR:-default}`` in every string value, in place."""
    problems: list[Problem] = []

    def substitute(text: str, path: tuple[str | int, ...]) -> str:
        def one(match: re.Match[str]) -> str:
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
                return match.group(0)
            if _KEY_VARIABLE.match(name):
                problems.append(
                    doc.problem(
                        path,
                        f"${{{name}}} would put the API key into the configuration, and from "
                        "there into plans and pull request comments",
                        "the key is read from the environment by rtcfg itself; remove this",
                    )
                )
                return match.group(0)
            if name in env:
                return env[name]
            if default is not None:
                return default
            problems.append(
                doc.problem(
                    path,
                    f"environment variable {name} is not set",
                    f"export {name}=… or write ${{{name}:-default}}",
                )
            )
            return match.group(0)

        return _VAR_RE.sub(one, text)

    def walk(node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, (*path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, i)) for i, v in enumerate(node)]
        return substitute(node, path) if isinstance(node, str) and "$" in node else node

    doc.data = walk(doc.data, ())
    return problems
