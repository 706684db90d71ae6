"""Changes a plan cannot carry out, refused with what to do instead. Pure: no I/O."""

from __future__ import annotations

from rtcfg.engine.graph import ChangeGraph
from rtcfg.engine.select import reader_address
from rtcfg.errors import PlanError
from rtcfg.model.kinds import SETTING
from rtcfg.safe_text import safe


def check_deletes(graph: ChangeGraph) -> None:
    """An object may go only when every object naming it goes or stops naming it."""
    for change in graph.changes:
        if change.action != "delete":
            continue
        for live_reader, _ in graph.readers(change.address):
            address = reader_address(graph, live_reader)
            kept = graph.by_address.get(address)
            if kept is None or (
                kept.action == "update" and graph.still_reads(kept, change.address)
            ):
                who, what = safe(change.address), safe(address)  # live names: hostile
                raise PlanError(
                    f"{who} cannot be deleted: {what} reads it and stays live "
                    "(its change is excluded or not targeted); include "
                    f"{what} in the plan, or keep the {change.kind.label} in the configuration"
                )


def check_ext_lookup_key(graph: ChangeGraph, config_file: str) -> None:
    """The setting's lookup key cannot be unset once set (api/NOTES.md)."""
    if SETTING not in graph.by_address:
        return
    current = graph.live.setting.get("extLookupKey")
    if current is not None and graph.desired.setting.get("extLookupKey") is None:
        current = safe(current)  # a live value: shown escaped
        raise PlanError(
            f"ext_lookup_key cannot be unset once set: parent segment "
            f"{graph.live.parent_segment_id} has extLookupKey {current!r}. Add "
            f"`ext_lookup_key: {current}` under id_stitching in {config_file}, "
            "or leave the setting out of this plan with --exclude setting"
        )
