"""The bytes of a config file: reading them (capped in size; ``-`` is standard input) and
decoding them. ``${VAR}`` interpolation is ``rtcfg.config.interpolate``."""

from __future__ import annotations

import sys
from pathlib import Path

from rtcfg.config.yamlio import position_to_mark
from rtcfg.errors import Problem

MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a config of 600 objects is well under 1 MiB
STDIN = "-"


class ConfigReadError(Exception):
    """A config file that cannot be read as one (missing, a folder, too large, endless)."""


def read_config_bytes(path: str | Path) -> bytes:
    """The bytes of a config file, or of standard input for ``-``; at most MAX_CONFIG_BYTES
    are read, so ``/dev/zero`` or a runaway pipe is a message, not an exhausted machine."""
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
