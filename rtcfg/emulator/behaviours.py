"""Switches for the readings of TD's API that its published contract leaves open.

Each behaviour has a default (listed first) and one or more other values the real API might
play; ``--behaviour NAME=VALUE`` picks one, ``--list-behaviours`` prints them all. The suite
runs rtcfg's core flows under every value, so rtcfg works whichever way TD behaves. Line
numbers are those of TD's CDP OpenAPI ``cdp-api 1.0.0`` (``cdp-openapi.yml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError


@dataclass(frozen=True)
class Behaviour:
    """One unsettled reading: its values (the default first) and where the question comes from."""

    name: str
    values: tuple[str, ...]
    why: str

    @property
    def default(self) -> str:
        return self.values[0]


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        "key_event_description",
        ("stored", "dropped"),
        "RealtimeKeyEventAttributes (l.15923) has no description; TD's guide sends one",
    ),
    Behaviour(
        "nested_notation",
        ("absent", "present"),
        "read-only notation in aggregations/subDurations: only the entities view has it "
        "(l.16352, l.16466)",
    ),
    Behaviour(
        "patch_while_updating",
        ("refuse", "accept"),
        "PATCH realtime_setting (l.5161) declares no 409 for a setting still updating",
    ),
    Behaviour(
        "error_envelope",
        ("rest", "jsonapi"),
        "realtime paths declare no error answer: REST Error {code,message} (l.6897) or "
        "JSON:API {errors:[...]} (l.6914)",
    ),
    Behaviour(
        "partial_setting_patch",
        ("refuse", "keep"),
        "RealtimeSettingAttributes (l.16165) requires all four keys; TD's guide PATCHes parts",
    ),
    Behaviour(
        "status_detailed",
        ("null", "object"),
        "statusDetailed (l.17056) is an object or null, with no schema",
    ),
    Behaviour(
        "audience_fields",
        ("documented", "legacy"),
        "Audience (l.7608) has no realtimeEnabled / masterKeyColumn; legacy adds them",
    ),
    Behaviour(
        "fresh_status",
        ("not_initialized", "initialized"),
        "status enum (l.17050): how an RT-enabled segment with nothing deployed answers",
    ),
    Behaviour(
        "sensitive_field",
        ("accept", "refuse"),
        "sensitive is in no REST attribute schema (l.17061, l.17260), only the entities "
        "view (l.16594)",
    ),
    Behaviour(
        "rt_disabled",
        ("404", "403"),
        "what realtime_* paths answer for a segment without RT 2.0: no answer is declared "
        "(l.5161); 404 or 403",
    ),
    Behaviour(
        "entities",
        ("on", "forbidden", "missing"),
        "personalization/journey lists (l.6480, l.6058) when the feature is off: 403 or 404",
    ),
)
BY_NAME = {b.name: b for b in BEHAVIOURS}


def defaults() -> dict[str, str]:
    return {b.name: b.default for b in BEHAVIOURS}


def parse_behaviours(items: list[str] | dict[str, str] | None) -> dict[str, str]:
    """``["name=value", ...]`` or a mapping → every behaviour's value (defaults filled in)."""
    chosen = defaults()
    pairs = items.items() if isinstance(items, dict) else (_split(i) for i in items or [])
    for name, value in pairs:
        behaviour = BY_NAME.get(name)
        if behaviour is None:
            raise ValueError(f"unknown behaviour {name!r}; --list-behaviours lists them")
        if value not in behaviour.values:
            options = "|".join(behaviour.values)
            raise ValueError(f"behaviour {name} takes {options} (got {value!r})")
        chosen[name] = value
    return chosen


def _split(item: str) -> tuple[str, str]:
    name, sep, value = item.partition("=")
    if not sep:
        raise ValueError(f"--behaviour wants NAME=VALUE (got {item!r})")
    return name.strip(), value.strip()


def list_lines() -> list[str]:
    """``NAME=VALUE1|VALUE2|… (default VALUE)``, one line per behaviour."""
    return [f"{b.name}={'|'.join(b.values)} (default {b.default})" for b in BEHAVIOURS]


def every_value() -> list[tuple[str, str]]:
    """(name, value) for each value of each behaviour, defaults included once."""
    return [(b.name, v) for b in BEHAVIOURS for v in b.values]


def error_body(err: ApiError, envelope: str) -> dict[str, object]:
    """The error answer in the envelope chosen (REST l.6897, JSON:API l.6914)."""
    if envelope != "jsonapi":
        return err.body()
    code = err.code.replace("_", "-")
    entry: dict[str, object] = {"code": code, "status": str(err.status), "detail": err.message}
    if err.validation_code is not None:
        entry["meta"] = {"validationCode": err.validation_code}
    return {"errors": [entry]}
