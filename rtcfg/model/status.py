"""What ``rtcfg status`` reports of one parent segment: made by ``rtcfg.commands.status``,
shown by ``rtcfg.render``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SegmentStatus:
    """What ``rtcfg status`` reports; ``counts`` is ``rtcfg.api.live.summarize`` (empty when
    RT 2.0 is disabled), ``message`` what a person should know, if anything."""

    parent_segment_id: str
    parent_segment_name: object
    rt_enabled: bool
    config_exists: bool
    status: object
    status_detailed: object = None
    message: str | None = None
    counts: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """``rtcfg status --json`` (and the fields of the CSM request template)."""
        head = {
            "parent_segment_id": self.parent_segment_id,
            "parent_segment_name": self.parent_segment_name,
            "rt_enabled": self.rt_enabled,
            "config_exists": self.config_exists,
            "status": self.status,
        }
        if not self.rt_enabled:
            return {**head, "message": self.message}
        message = {"message": self.message} if self.message else {}
        return {**head, "status_detailed": self.status_detailed, **message, **self.counts}
