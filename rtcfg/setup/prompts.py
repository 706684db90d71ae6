"""Questions on a terminal for ``rtcfg init``: the only module that imports questionary.

questionary (on prompt_toolkit) gives the guide's multi-select questions with arrow keys and
space to toggle, on every platform, instead of a hand-written line editor. It is imported
inside the functions, so no other command pays its start-up time, and nothing else in rtcfg
depends on it: :class:`TerminalAsker` implements :class:`rtcfg.setup.init_config.Asker`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from rtcfg.errors import RefusedError
from rtcfg.setup.init_config import Option


def is_interactive() -> bool:
    """Questions only when both ends are a terminal (a pipe or CI takes the recommendations)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


class TerminalAsker:
    """Asks with questionary; Ctrl-C or end of input at a question cancels init (exit 3)."""

    def choose_many(self, question: str, options: Sequence[Option]) -> list[str]:
        import questionary

        choices = [questionary.Choice(o.label, value=o.value, checked=o.checked) for o in options]
        answer: list[str] | None = questionary.checkbox(question, choices=choices).ask()
        return list(_answered(answer))

    def choose_one(self, question: str, options: Sequence[Option], default: str) -> str:
        import questionary

        choices = [questionary.Choice(o.label, value=o.value) for o in options]
        start = next((c for c in choices if c.value == default), None)
        answer: str | None = questionary.select(question, choices=choices, default=start).ask()
        return str(_answered(answer))


def _answered(answer: Any) -> Any:
    if answer is None:  # questionary's answer to Ctrl-C / end of input
        raise RefusedError("init cancelled: nothing written")
    return answer
