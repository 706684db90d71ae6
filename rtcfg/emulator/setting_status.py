"""How a setting's ``status`` moves, and the control that makes it misbehave on purpose.

By default a PATCH makes the setting ``updating`` for ``update_seconds`` (read from an injected
clock), then ``ok``. ``POST /_emulator/setting`` makes one parent segment's setting do what the
real service may do and a client must survive (so apply's recovery can be tested):

* ``{"status": "updating", "polls": N}``: the next N GETs of the setting answer ``updating``,
  then it is ``ok``; without ``polls`` (or null) it stays ``updating`` until reset;
* ``{"status": "inconsistent", "status_detailed": {...}}``: ``inconsistent`` with that
  ``statusDetailed`` until the next PATCH is accepted (``polls`` counts here too);
* ``{"status": "not_initialized"}``: a first setup that is never picked up;
* ``"when": "next_patch"`` holds either of these back until the next PATCH is accepted (which
  then leads to it instead of the timed ``updating``); ``"now"`` (the default) starts it now;
* ``{"concurrent_patch": {setting}}``: just before the next PATCH of this setting, another
  writer's PATCH with that body is applied, so the client's PATCH meets a setting that changed
  since it was read, and is still ``updating`` (409, unless ``patch_while_updating=accept``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import bad_request
from .validation import Json

# not_initialized: a first setup the service never picks up (or is slow to show)
HELD_STATUSES = ("updating", "inconsistent", "not_initialized")
CONTROL_KEYS = ("parent_segment", "status", "polls", "status_detailed", "when", "concurrent_patch")
DEFAULT_DETAIL = {"message": "the deployed configuration differs from the setting (injected)"}


@dataclass
class Hold:
    """A status held by the control: ``polls`` GETs left (None: until changed)."""

    status: str
    polls: int | None = None
    detailed: Any = None


class SettingStatus:
    """Each parent segment's status timer, held statuses and pending concurrent writes."""

    def __init__(self, update_seconds: float, clock: Callable[[], float]) -> None:
        self.update_seconds = update_seconds
        self.clock = clock
        self.reset()

    def reset(self) -> None:
        """Forget every timer, hold and pending write (a reset or a load of state)."""
        self._until: dict[str, float] = {}
        self._held: dict[str, Hold] = {}
        self._after_patch: dict[str, Hold] = {}
        self._concurrent: dict[str, Json] = {}

    def refresh(self, ps_id: str, rt: Json) -> None:
        """Before any read: a timed ``updating`` whose time is up becomes ``ok``."""
        if ps_id in self._held or rt["status"] != "updating":
            return
        until = self._until.get(ps_id)
        if until is None or self.clock() >= until:
            rt["status"] = "ok"
            self._until.pop(ps_id, None)

    def polled(self, ps_id: str, rt: Json) -> None:
        """A GET of the setting: a hold counted in polls uses one up (then the setting is ok)."""
        hold = self._held.get(ps_id)
        if hold is None:
            return
        rt["status"], rt["statusDetailed"] = hold.status, hold.detailed
        if hold.polls is None:
            return
        if hold.polls == 0:
            del self._held[ps_id]
            rt["status"], rt["statusDetailed"] = "ok", None
            return
        hold.polls -= 1

    def patched(self, ps_id: str, rt: Json) -> None:
        """A PATCH was accepted: ``updating`` for a while, or what the control held back."""
        rt["statusDetailed"] = None
        self._held.pop(ps_id, None)
        pending = self._after_patch.pop(ps_id, None)
        if pending is not None:
            self._hold(ps_id, rt, pending)
        elif self.update_seconds > 0:
            rt["status"] = "updating"
            self._until[ps_id] = self.clock() + self.update_seconds
        else:
            rt["status"] = "ok"

    def concurrent_patch(self, ps_id: str) -> Json | None:
        """Another writer's PATCH body to apply before this one (once), if the control set one."""
        return self._concurrent.pop(ps_id, None)

    def control(self, ps_id: str, rt: Json, cfg: Json) -> Json:
        """``POST /_emulator/setting`` for one parent segment (``cfg`` already checked)."""
        if "concurrent_patch" in cfg:
            self._concurrent[ps_id] = cfg["concurrent_patch"]
        if "status" in cfg:
            hold = Hold(cfg["status"], cfg.get("polls"), cfg.get("status_detailed"))
            if hold.status == "inconsistent" and hold.detailed is None:
                hold.detailed = dict(DEFAULT_DETAIL)
            if cfg.get("when", "now") == "next_patch":
                self._after_patch[ps_id] = hold
            else:
                self._hold(ps_id, rt, hold)
        return self.snapshot(ps_id)

    def _hold(self, ps_id: str, rt: Json, hold: Hold) -> None:
        self._held[ps_id] = hold
        self._until.pop(ps_id, None)
        rt["status"], rt["statusDetailed"] = hold.status, hold.detailed

    def snapshot(self, ps_id: str) -> Json:
        """What the control holds for one parent segment."""

        def view(hold: Hold | None) -> Json | None:
            return None if hold is None else dict(vars(hold))

        return {
            "parent_segment": ps_id,
            "held": view(self._held.get(ps_id)),
            "after_next_patch": view(self._after_patch.get(ps_id)),
            "concurrent_patch": self._concurrent.get(ps_id),
        }


def check_control(cfg: Any) -> Json:
    """The body of ``POST /_emulator/setting``, checked (400 naming what is wrong)."""
    if not isinstance(cfg, dict):
        raise bad_request("setting: body must be an object")
    unknown = sorted(set(cfg) - set(CONTROL_KEYS))
    if unknown:
        raise bad_request(f"setting: unknown keys {unknown}; known: {', '.join(CONTROL_KEYS)}")
    ps = cfg.get("parent_segment")
    if not isinstance(ps, str) or not ps.isdigit():
        raise bad_request("setting: parent_segment must be a parent segment id (digits, a text)")
    if "status" in cfg and cfg["status"] not in HELD_STATUSES:
        raise bad_request(f"setting: status must be one of {', '.join(HELD_STATUSES)}")
    polls = cfg.get("polls")
    if polls is not None and (isinstance(polls, bool) or not isinstance(polls, int) or polls < 0):
        raise bad_request("setting: polls must be a non-negative integer or null")
    if cfg.get("when", "now") not in ("now", "next_patch"):
        raise bad_request("setting: when must be now or next_patch")
    if "concurrent_patch" in cfg and not isinstance(cfg["concurrent_patch"], dict):
        raise bad_request("setting: concurrent_patch must be a setting body (an object)")
    if not {"status", "concurrent_patch"} & set(cfg):
        raise bad_request("setting: give a status, a concurrent_patch, or both")
    return cfg
