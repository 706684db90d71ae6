"""examples/ci/gitlab/rtcfg-note.py keeps ONE plan note per merge request: it posts the first
and then edits it, found by the marker line, here against a small stand-in of GitLab's notes
API on a loopback socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from rtcfg.render import PLAN_MARKER

SCRIPT = Path(__file__).parents[2] / "examples" / "ci" / "gitlab" / "rtcfg-note.py"
NOTES = "/api/v4/projects/7/merge_requests/3/notes"


class _Notes(BaseHTTPRequestHandler):
    notes: ClassVar[list[dict[str, Any]]] = []

    def _answer(self, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _form(self) -> dict[str, str]:
        length = int(self.headers["Content-Length"])
        assert self.headers["PRIVATE-TOKEN"] == "note-token"
        return dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))

    def do_GET(self) -> None:
        page = int(urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["page"][0])
        self._answer(self.notes if page == 1 else [])

    def do_POST(self) -> None:
        note = {"id": len(self.notes) + 1, "body": self._form()["body"]}
        self.notes.append(note)
        self._answer(note)

    def do_PUT(self) -> None:
        note_id = int(self.path.rsplit("/", 1)[1])
        note = next(n for n in self.notes if n["id"] == note_id)
        note["body"] = self._form()["body"]
        self._answer(note)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def gitlab() -> Iterator[str]:
    _Notes.notes = [{"id": 1, "body": "LGTM"}]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Notes)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    server.shutdown()
    server.server_close()


def post(api: str, text: str, tmp_path: Path) -> None:
    plan = tmp_path / "plan.md"
    plan.write_text(text)
    env = {
        **os.environ,
        "CI_API_V4_URL": api,
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": "3",
        "RTCFG_NOTE_TOKEN": "note-token",
    }
    subprocess.run([sys.executable, str(SCRIPT), str(plan)], env=env, check=True, timeout=60)


def test_the_plan_note_is_posted_once_then_edited_in_place(gitlab: str, tmp_path: Path) -> None:
    post(gitlab, f"{PLAN_MARKER}\n**Plan: 1 to create**\n", tmp_path)
    post(gitlab, f"{PLAN_MARKER}\n**No changes.**\n", tmp_path)
    assert [n["body"] for n in _Notes.notes] == ["LGTM", f"{PLAN_MARKER}\n**No changes.**\n"]
