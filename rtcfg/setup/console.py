"""Where a person looks at a parent segment's RT 2.0 configuration: the TD console URL.

The one table of site → console host. Sources:

* the path, ``/app/dw/parentSegments/{id}/realtime``: the seed guide's Step 7.5 ("View in TD
  Console: {CONSOLE_URL}/app/dw/parentSegments/{PARENT_SEGMENT_ID}/realtime");
* the hosts, ``https://console-next.<site>.treasuredata.com``: TD's own skills
  (``treasure-data/td-skills``, rt-setup-personalization: "https://console-next.${REGION}
  .treasuredata.com/app/ps/…", "Replace us01 with your region (eu01, ap01, ap02, etc.)"; and
  ``https://console-next.eu01.treasuredata.com/app/dw/parentSegments/<id>`` in a public TD
  parent-segment monitoring skill);
* Japan: ``https://console-next.treasuredata.co.jp``, the host public TD console tooling lists
  for Tokyo (the API host of jp01 is also ``.co.jp``, api/NOTES.md §1.1); no public source shows
  a ``console-next.ap01`` or ``jp01`` host;
* ap03 is INFERRED from the naming of the others (no public source lists it).
"""

from __future__ import annotations

from urllib.parse import quote

CONSOLE_HOSTS: dict[str, str] = {
    "us01": "https://console-next.us01.treasuredata.com",
    "jp01": "https://console-next.treasuredata.co.jp",
    "eu01": "https://console-next.eu01.treasuredata.com",
    "ap02": "https://console-next.ap02.treasuredata.com",
    "ap03": "https://console-next.ap03.treasuredata.com",
}
RT_PAGE = "/app/dw/parentSegments/{ps_id}/realtime"


def console_url(site: str, ps_id: str) -> str:
    """The RT 2.0 page of parent segment ``ps_id`` in the console of ``site``."""
    host = CONSOLE_HOSTS.get(site, CONSOLE_HOSTS["us01"])
    return host + RT_PAGE.format(ps_id=quote(ps_id, safe=""))
