"""``rtcfg validate --online``: the online checks of each file that loaded, against the API."""

from __future__ import annotations

from collections.abc import Sequence

from rtcfg.api.client import ApiClient
from rtcfg.checks.online import online_problems
from rtcfg.commands.validate import ValidationResult


async def validate_online(api: ApiClient, results: Sequence[ValidationResult]) -> None:
    """Add the online checks' problems to each result that loaded (offline errors first)."""
    for result in results:
        if result.config is not None and result.document is not None:
            result.problems.extend(await online_problems(api, result.config, result.document))
