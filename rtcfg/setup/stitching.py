"""Which identity columns stitch, and which is the primary key (the guide's Phase 4.6).

Pure. The rules: the cookie / device id, the parent segment's profile key, the master
(canonical) id and email when present (the kinds :data:`rtcfg.setup.discover.ID_ORDER` marks
recommended); a user id only when nothing better exists, because it is empty for anonymous
visitors. The primary key is the profile key (the guide's "canonical_id (if exists in parent
segment)": the master customer id), else the canonical id, else the key found in the most
event tables. Keys chosen by the user must be string columns of
the chosen tables (the API refuses others).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rtcfg.api.catalog import Table
from rtcfg.errors import UsageError
from rtcfg.setup.discover import IdCandidate, did_you_mean, id_candidates


@dataclass
class PlannedKey:
    """A stitching key init writes, the guide's advice on it, and the tables that carry it."""

    name: str
    advice: str
    tables: list[str]


@dataclass
class StitchingPlan:
    keys: list[PlannedKey] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (column, why not)
    primary_key: str | None = None
    primary_why: str = ""


def plan_stitching(
    tables: list[Table],
    wanted: Sequence[str] | None,
    primary: str | None,
    profile_key: str | None = None,
) -> StitchingPlan:
    """The stitching keys over ``tables`` (``wanted`` when the user chose) and the primary key;
    ``profile_key`` (the parent segment's) is the master customer id wherever it appears."""
    candidates = [c for c in id_candidates(tables, profile_key) if c.tables]
    chosen = _chosen_keys(candidates, wanted, tables)
    by_name = {c.column: c for c in candidates}
    plan = StitchingPlan()
    for name in chosen:
        candidate = by_name.get(name)
        advice = candidate.kind.advice if candidate else "chosen on the command line"
        plan.keys.append(PlannedKey(name, advice, candidate.tables if candidate else []))
    plan.skipped = [
        (c.column, f"{c.kind.advice}; found in {', '.join(c.tables)}" + _note(c))
        for c in candidates
        if c.column not in chosen
    ]
    plan.primary_key, plan.primary_why = _primary(plan.keys, candidates, primary)
    return plan


def _note(candidate: IdCandidate) -> str:
    return f" ({candidate.note})" if candidate.note else ""


def _chosen_keys(
    candidates: list[IdCandidate], wanted: Sequence[str] | None, tables: list[Table]
) -> list[str]:
    if wanted is not None:
        strings = {c.name for t in tables for c in t.columns if c.kind == "string"}
        for name in wanted:
            if name not in strings:
                raise UsageError(
                    f"stitching key '{name}' is not a string column of the chosen event tables: "
                    + did_you_mean(name, sorted(strings), "string columns")
                )
        return list(dict.fromkeys(wanted))
    for tier in (True, False):
        picked = [c.column for c in candidates if c.kind.recommended is tier]
        if picked:
            return picked
    return []


def _primary(
    keys: list[PlannedKey], candidates: list[IdCandidate], wanted: str | None
) -> tuple[str | None, str]:
    names = [k.name for k in keys]
    if wanted is not None:
        if wanted not in names:
            raise UsageError(f"primary key '{wanted}' is not among the stitching keys: {names}")
        return wanted, "chosen"
    for kind, why in (
        ("profile", "the parent segment's profile key (the master customer id)"),
        ("canonical", "the master (canonical) customer id"),
    ):
        found = [c.column for c in candidates if c.kind.name == kind and c.column in names]
        if found:
            return found[0], why
    if not keys:
        return None, ""
    best = max(keys, key=lambda k: len(k.tables))
    return best.name, f"the key found in the most event tables ({len(best.tables)})"
