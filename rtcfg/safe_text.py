"""Text that came from a file, the environment or a server is hostile until shown otherwise.

Two jobs, kept in one place so that every reader and every printer agree on them:

* **Unsafe characters.** A control character (C0, DEL, C1: newlines, ``ESC`` of ANSI escapes,
  NUL), an invisible format character (bidi overrides and isolates, zero-width characters,
  BOM: Unicode category ``Cf``), a line or paragraph separator, or a lone surrogate. In a
  name such a character can forge a line of a plan (``Plan: 0 to create…``), move the cursor,
  clear the screen or reorder what a reviewer reads. Config names with one are refused
  (:func:`first_unsafe`); everything printed or written passes through :func:`escape`, which
  writes each as a JSON-style ``\\uXXXX`` escape (valid inside a JSON string, so JSON output
  stays JSON).
* **Secrets.** The API key's value is registered once (:func:`register_secret`) and
  :func:`redact` replaces it with ``***`` wherever it would be printed, logged or written,
  whatever it came through (a server's echo, a live object, a path). Not only the exact key:
  a server may cut it short or change its case, so any run of at least ``MIN_RUN``
  characters of the key (the secret half after the ``/`` is part of it), matched ignoring
  case and widened to the longest such run, becomes ``***`` (:func:`mask_secrets`). Shorter
  runs stay: twelve characters of a key are not found in ordinary text by chance.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
_NAMES = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    "\x00": "a NUL character",
    "\x1b": "an escape character (ANSI escape sequence)",
}
# The colours rtcfg itself writes (render.paint): the only escape sequences let through.
_OWN_SGR = re.compile(r"\x1b\[(?:0|1|31|32|33)m")
MIN_SECRET = 8  # shorter values would be found by chance in ordinary text
MIN_RUN = 12  # characters of a key that count as a copy of it (a whole shorter key counts)
_secrets: set[str] = set()


def is_unsafe(char: str) -> bool:
    """A character that must not reach a terminal, a review or a request as it is."""
    return unicodedata.category(char) in _UNSAFE_CATEGORIES


def first_unsafe(text: str, allowed: str = "") -> int | None:
    """The index of the first unsafe character of ``text`` not in ``allowed``, or None."""
    if text.isprintable():  # the common case: no Cc, Cf, Zl, Zp or Cs in it
        return None
    for index, char in enumerate(text):
        if char not in allowed and is_unsafe(char):
            return index
    return None


def describe(char: str) -> str:
    """``an escape character (ANSI escape sequence)``, ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    if char in _NAMES:
        return _NAMES[char]
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000  # a JSON string spells characters past the BMP as a surrogate pair
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def escape(text: str, keep: str = "") -> str:
    """``text`` with every unsafe character not in ``keep`` written as ``\\uXXXX``."""
    if first_unsafe(text, keep) is None:
        return text
    return "".join(_escaped(c) if c not in keep and is_unsafe(c) else c for c in text)


def escape_output(text: str) -> str:
    """A whole block of output: lines and tabs stay, and so do rtcfg's own colours; any
    other control or format character is escaped. The last line of defence at the printer:
    the renderers escape each value from data first, so no value can add a line either."""
    if first_unsafe(text, "\n\t") is None:
        return text
    pieces, start = [], 0
    for match in _OWN_SGR.finditer(text):
        pieces += [escape(text[start : match.start()], "\n\t"), match.group(0)]
        start = match.end()
    pieces.append(escape(text[start:], "\n\t"))
    return "".join(pieces)


def register_secret(value: str | None) -> None:
    """Never print, log or write ``value`` (nor its part after ``/``, TD's secret half)."""
    if not value:
        return
    for part in (value, value.partition("/")[2]):
        if len(part) >= MIN_SECRET:
            _secrets.add(part)


def register_secrets_from_env(env: Mapping[str, str]) -> None:
    """Every API key variable's value (TDX_API_KEY, TDX_API_KEY_<PROFILE>, TD_API_KEY)."""
    for name in key_variables(env):
        register_secret(env[name].strip())


def key_variables(env: Mapping[str, str]) -> Iterable[str]:
    return [n for n in env if n in ("TDX_API_KEY", "TD_API_KEY") or n.startswith("TDX_API_KEY_")]


def secrets_in(text: str, env: Mapping[str, str]) -> str | None:
    """The name of the API key variable whose value ``text`` contains, or None."""
    for name in key_variables(env):
        value = env[name].strip()
        for part in (value, value.partition("/")[2]):
            if len(part) >= MIN_SECRET and part in text:
                return name
    return None


def redact(text: str) -> str:
    """``text`` with every registered secret, and every cut-short or re-cased copy of one,
    replaced by ``***``."""
    return mask_secrets(text, _secrets) if _secrets else text


def mask_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with each run of at least ``MIN_RUN`` characters (or a whole shorter secret)
    found in one of ``secrets``, ignoring case and as long as it goes, replaced by ``***``."""
    masked = bytearray(len(text))
    folded = _fold(text)
    for secret in secrets:
        _mark_runs(folded, _fold(secret), masked)
    if not any(masked):
        return text
    pieces, start = [], 0
    for run in re.finditer(b"\x01+", masked):
        pieces += [text[start : run.start()], "***"]
        start = run.end()
    pieces.append(text[start:])
    return "".join(pieces)


def _fold(text: str) -> str:
    """Lower case, one character for one (so that indexes of ``text`` stay right)."""
    if text.isascii():
        return text.lower()
    return "".join(low if len(low := c.lower()) == 1 else c for c in text)


@functools.lru_cache(maxsize=64)
def _runs_of(secret: str) -> tuple[int, frozenset[str], re.Pattern[str]]:
    """(run length, every run of the secret, a pattern of stretches that may hold one)."""
    size = min(MIN_RUN, len(secret))
    windows = frozenset(secret[i : i + size] for i in range(len(secret) - size + 1))
    alphabet = "[" + re.escape("".join(sorted(set(secret)))) + "]"
    return size, windows, re.compile(f"{alphabet}{{{size},}}")


def _mark_runs(text: str, secret: str, masked: bytearray) -> None:
    """Mark in ``masked`` every character of ``text`` inside a run of ``secret``."""
    if not secret:
        return
    size, windows, stretches = _runs_of(secret)
    # only stretches made of the secret's own characters can hold a run: few in ordinary text
    for stretch in stretches.finditer(text):
        for start in range(stretch.start(), stretch.end() - size + 1):
            if text[start : start + size] in windows:
                masked[start : start + size] = b"\x01" * size


def safe(text: object) -> str:
    """One value from data, for a line of output: redacted, every unsafe character escaped
    (newlines too: a value never adds a line)."""
    return escape(redact(str(text)))
