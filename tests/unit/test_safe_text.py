"""Redaction of the API key: also a cut-short, re-cased or embedded copy of it is masked."""

from __future__ import annotations

import pytest

from rtcfg import safe_text
from rtcfg.safe_text import mask_secrets, redact

KEY = "1/0123456789abcdefSECRETfedcba9876543210"
SECRET = KEY.partition("/")[2]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key {KEY} end", "key *** end"),
        (f"key {KEY[:14]} cut", "key *** cut"),  # a prefix, as a server that truncates sends
        (f"key {KEY.upper()} loud", "key *** loud"),
        (f"half {SECRET.lower()}.", "half ***."),
        (f"mid x{SECRET[10:25]}y", "mid x***y"),  # widened to the whole run, no more
        (f"{KEY[:12]}{KEY[:12]}", "***"),  # two runs side by side are one mask
        (f"a {KEY[:13]} b {SECRET[-12:].upper()} c", "a *** b *** c"),
    ],
    ids=["exact", "prefix", "upper", "lower-half", "middle", "adjacent", "two"],
)
def test_any_long_run_of_the_key_is_masked(text: str, expected: str) -> None:
    assert mask_secrets(text, [KEY, SECRET]) == expected


@pytest.mark.parametrize(
    "text",
    [
        "0123456789a and abcdefSECRE",  # runs of 11: ordinary text may hold them
        "segment 1069935 updated at 2026-12-01T10:00:00Z",
        "cafe babe 0123 4567 89ab cdef",  # the key's characters, but broken up
        "",
    ],
)
def test_short_ordinary_text_stays(text: str) -> None:
    assert mask_secrets(text, [KEY, SECRET]) == text


def test_a_secret_shorter_than_a_run_is_masked_whole_and_only_whole() -> None:
    assert mask_secrets("a 9/abcd b ABCD c abc", ["9/abcd", "abcd"]) == "a *** b *** c abc"


def test_non_ascii_text_keeps_its_other_characters() -> None:
    text = f"İstanbul é {KEY[2:20].upper()} ß"
    assert mask_secrets(text, [KEY]) == "İstanbul é *** ß"


def test_redact_masks_variants_of_a_registered_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safe_text, "_secrets", set())
    safe_text.register_secret(KEY)
    said = f'{{"message":"key {KEY[:16]} / {KEY.upper()}"}}'
    assert redact(said) == '{"message":"key *** / ***"}'
    assert redact("plain words stay") == "plain words stay"
