"""yamlio: marks, duplicate keys, alias bombs, non-mappings, stable dump."""

from __future__ import annotations

import pytest

from rtcfg.config.yamlio import MAX_NODES, YamlLoadError, dump_yaml, load_config_text


def test_every_key_and_value_keeps_its_line_and_column() -> None:
    doc = load_config_text("a: 1\nb:\n  - x: s\n    y: [1, 2]\n", "f.yaml")
    assert doc.data == {"a": 1, "b": [{"x": "s", "y": [1, 2]}]}
    assert doc.value_marks[("b", 0, "y", 1)] == (4, 12)
    assert doc.key_marks[("b", 0, "y")] == (4, 5)


def test_mark_of_falls_back_to_the_nearest_ancestor() -> None:
    doc = load_config_text("a:\n  b: 1\n", "f.yaml")
    assert doc.mark_of(("a", "missing")) == (2, 3)


def test_duplicate_keys_are_refused_at_the_second_key() -> None:
    with pytest.raises(YamlLoadError) as err:
        load_config_text("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert (err.value.problem.line, err.value.problem.col) == (3, 1)
    assert "duplicate key 'a'" in err.value.problem.message


def test_merge_keys_are_expanded_and_own_keys_win() -> None:
    doc = load_config_text("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", "f.yaml")
    assert doc.data["c"] == {"x": 1, "y": 3}


def test_alias_bomb_is_refused() -> None:
    text = "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
    for i in range(6):
        prev, cur = chr(97 + i), chr(98 + i)
        text += f"{cur}: &{cur} [{','.join(['*' + prev] * 10)}]\n"
    with pytest.raises(YamlLoadError) as err:
        load_config_text(text, "bomb.yaml")
    assert str(MAX_NODES) in err.value.problem.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("# only a comment\n", "empty"),
        ("- a\n", "mapping"),
        ("just text\n", "mapping"),
        ("a:\n\t- b\n", "tab"),
        ("a: [1,\n", "invalid YAML"),
    ],
)
def test_unusable_documents_get_a_located_problem(text: str, fragment: str) -> None:
    with pytest.raises(YamlLoadError) as err:
        load_config_text(text, "f.yaml")
    assert fragment in err.value.problem.message
    assert err.value.problem.line >= 1


def test_dump_keeps_key_order_and_round_trips() -> None:
    data = {"z": 1, "a": [{"k": "multi\nline"}, {"k": "x: y"}], "m": None}
    text = dump_yaml(data)
    assert text.index("z:") < text.index("a:")
    assert load_config_text(text, "f").data == data
