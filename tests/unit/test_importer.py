"""The import's text survives loading: `$` escaping and line breaks other than \\n."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rtcfg.config.source import interpolate
from rtcfg.config.yamlio import dump_yaml, load_config_text
from rtcfg.model.importer import escape_dollars

TRICKY = st.text(alphabet=st.sampled_from("$ {}ab\n\r\x85\u2028\u2029\t'\"#:-"), max_size=12)


@given(st.one_of(TRICKY, st.text(max_size=20)))
@settings(max_examples=300)
def test_any_live_text_reads_back_as_itself(text: str) -> None:
    doc = load_config_text(dump_yaml({"description": escape_dollars(text)}), "imported.yaml")
    assert interpolate(doc, {"X": "replaced"}) == []
    assert doc.data["description"] == text


def test_a_regex_end_anchor_is_written_as_is() -> None:
    assert escape_dollars("^/product/.*$") == "^/product/.*$"
    assert escape_dollars("${HOME}") == "$${HOME}"
