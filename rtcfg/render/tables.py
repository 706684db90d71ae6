"""Plain text tables: the one user of tabulate (imported when a table is made, so that
commands that print none start without it)."""

from __future__ import annotations

from collections.abc import Sequence


def table(rows: Sequence[Sequence[object]], headers: Sequence[str], fmt: str = "simple") -> str:
    """``rows`` under ``headers`` in tabulate's ``fmt``."""
    from tabulate import tabulate

    return tabulate(rows, headers=list(headers), tablefmt=fmt)
