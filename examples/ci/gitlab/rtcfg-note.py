"""Post rtcfg's markdown plan as one merge request note, updated in place.

The note is found again by the plan's first line, ``<!-- rtcfg-plan -->``. Runs in GitLab CI
with Python's standard library only; reads CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID
and RTCFG_NOTE_TOKEN (a project access token with the api scope). Usage: rtcfg-note.py PLAN.md
"""

from __future__ import annotations

import json
import os
import sys
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

MARKER = "<!-- rtcfg-plan -->"


def _call(method: str, url: str, body: dict[str, str] | None = None) -> Any:
    data = None if body is None else urllib.parse.urlencode(body).encode()
    headers = {"PRIVATE-TOKEN": os.environ["RTCFG_NOTE_TOKEN"]}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def main(plan_file: str) -> int:
    body = Path(plan_file).read_text(encoding="utf-8")
    if not os.environ.get("RTCFG_NOTE_TOKEN"):  # e.g. a merge request from a fork
        print("RTCFG_NOTE_TOKEN is not set: no note; the plan is in the log and the artifact")
        return 0
    base = (
        f"{os.environ['CI_API_V4_URL']}/projects/{os.environ['CI_PROJECT_ID']}"
        f"/merge_requests/{os.environ['CI_MERGE_REQUEST_IID']}/notes"
    )
    page, found = 1, None
    while found is None:
        notes = _call("GET", f"{base}?per_page=100&page={page}&sort=asc")
        if not notes:
            break
        found = next((n for n in notes if n.get("body", "").startswith(MARKER)), None)
        page += 1
    if found is None:
        _call("POST", base, {"body": body})
    else:
        _call("PUT", f"{base}/{found['id']}", {"body": body})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
