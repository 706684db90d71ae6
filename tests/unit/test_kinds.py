"""The registry of resource kinds, and the engine planning a kind it was never written for.

``toy_service`` stands for what comes next (a personalization service reads attributes by
id): declared in one ``Kind`` here and registered for the test, it is diffed, ordered and
given refs by the same engine code as the three kinds the API has today.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtcfg.engine.plan import SegmentPlan, build_segment_plan
from rtcfg.engine.stages import delete_stage, write_stage
from rtcfg.errors import PlanError
from rtcfg.model.addresses import Address
from rtcfg.model.kinds import SETTING, address_order, all_kinds, kind_of, registered
from rtcfg.model.kinds.attribute import KIND as ATTRIBUTE
from rtcfg.model.kinds.base import Body, Kind, Reference
from rtcfg.model.state import AttributeState, KeyEventState, ObjectState, State


def _toy_references(body: Body, top: str | None) -> list[Reference]:
    return [("attributeId", Address.of("attribute", top))] if top else []


def _toy_replace_reasons(before: Body, after: Body) -> list[str]:
    return ["channel cannot be patched"] if before.get("channel") != after.get("channel") else []


TOY = Kind(
    name="toy_service",
    label="toy service",
    path="toy_services",
    order=3,
    comparable=lambda body: {k: body.get(k) for k in ("name", "channel", "description")},
    identity="name",
    patchable=frozenset({"description"}),
    unique=("name",),
    reference_field="attributeId",
    reference_kind="attribute",
    references=_toy_references,
    replace_reasons=_toy_replace_reasons,
    make=ObjectState,
)
SETTING_BODY: Body = {
    "keyColumns": [{"name": "email"}],
    "eventTables": [{"database": "db", "table": "pageviews"}],
    "batchAttributes": [],
    "extLookupKey": None,
}
VIEWS: Body = {"name": "views", "databaseName": "db", "tableName": "pageviews"}


def _attribute(identifier: str) -> Body:
    return {
        "name": identifier.title(),
        "identifier": identifier,
        "type": "single",
        "valueColumn": "td_url",
        "dataType": "string",
    }


@pytest.fixture
def toy() -> Iterator[Kind]:
    with registered(TOY) as kind:
        yield kind


def _states() -> tuple[State, State]:
    desired = State("1", setting=dict(SETTING_BODY))
    live = State("1", setting=dict(SETTING_BODY), setting_meta={"id": "9", "status": "ok"})
    desired.key_events["views"] = KeyEventState("views", dict(VIEWS))
    live.key_events["views"] = KeyEventState("views", dict(VIEWS), "11")
    return desired, live


def _plan(desired: State, live: State, **selection: list[str]) -> SegmentPlan:
    return build_segment_plan(desired, live, config_file="f", config_sha256="0", **selection)


def test_every_kind_has_its_own_name_path_and_order() -> None:
    kinds = all_kinds()
    for values in ([k.name for k in kinds], [k.path for k in kinds], [k.order for k in kinds]):
        assert len(set(values)) == len(values)
    assert [k.order for k in kinds] == sorted(k.order for k in kinds)
    assert sum(k.singleton for k in kinds) == 1


def test_addresses_are_typed_and_parsed_once() -> None:
    address = Address.of("attribute", "last.url")
    assert (address, address.kind, address.name) == ("attribute.last.url", "attribute", "last.url")
    assert kind_of(address) is ATTRIBUTE
    assert (SETTING.kind, SETTING.name) == ("setting", "")
    assert sorted(["attribute.a", "setting", "key_event.z"], key=address_order) == [
        "setting",
        "key_event.z",
        "attribute.a",
    ]


def test_a_kind_cannot_be_registered_twice(toy: Kind) -> None:
    with pytest.raises(ValueError, match="registered already"), registered(TOY):
        pass


def test_a_new_kind_is_created_after_what_it_references_and_gets_its_id_by_ref(
    toy: Kind,
) -> None:
    desired, live = _states()
    desired.attributes["last_url"] = AttributeState("last_url", _attribute("last_url"), "views")
    desired.of("toy_service")["welcome"] = ObjectState(
        "welcome", {"name": "welcome", "channel": "web"}, "last_url"
    )
    steps = {str(s.address): s for s in _plan(desired, live).steps}
    attribute_post, toy_post = steps["attribute.last_url"], steps["toy_service.welcome"]
    assert (toy_post.method, toy_post.path) == ("POST", "/audiences/1/toy_services")
    assert toy_post.refs == {"attributeId": "attribute.last_url"}
    assert toy_post.body == {"name": "welcome", "channel": "web", "attributeId": None}
    assert attribute_post.id in toy_post.depends_on
    assert toy_post.stage == write_stage(toy) > attribute_post.stage == write_stage(ATTRIBUTE)
    assert toy_post.lookup == {"collection": "toy_services", "field": "name", "value": "welcome"}


def test_a_new_kind_is_deleted_before_what_it_references(toy: Kind) -> None:
    desired, live = _states()
    live.attributes["last_url"] = AttributeState("last_url", _attribute("last_url"), "views", "21")
    live.of("toy_service")["welcome"] = ObjectState(
        "welcome", {"name": "welcome"}, "last_url", "31"
    )
    steps = {str(s.address): s for s in _plan(desired, live).steps}
    toy_delete, attribute_delete = steps["toy_service.welcome"], steps["attribute.last_url"]
    assert toy_delete.path == "/audiences/1/toy_services/31"
    assert toy_delete.id in attribute_delete.depends_on
    assert (toy_delete.stage, attribute_delete.stage) == (
        delete_stage(toy),
        delete_stage(ATTRIBUTE),
    )


def test_a_new_kind_that_still_names_an_object_keeps_it_from_being_deleted(toy: Kind) -> None:
    desired, live = _states()
    live.attributes["last_url"] = AttributeState("last_url", _attribute("last_url"), "views", "21")
    body = {"name": "welcome", "channel": "web"}
    live.of("toy_service")["welcome"] = ObjectState("welcome", body, "last_url", "31")
    desired.of("toy_service")["welcome"] = ObjectState("welcome", dict(body), "last_url")
    with pytest.raises(PlanError, match=r"attribute\.last_url cannot be deleted: toy_service"):
        _plan(desired, live)


def test_a_new_kind_is_patched_or_replaced_as_its_kind_declares(toy: Kind) -> None:
    desired, live = _states()
    live.attributes["a"] = AttributeState("a", _attribute("a"), "views", "21")
    desired.attributes["a"] = AttributeState("a", _attribute("a"), "views")
    live.of("toy_service")["t1"] = ObjectState("t1", {"name": "t1", "channel": "web"}, "a", "31")
    live.of("toy_service")["t2"] = ObjectState("t2", {"name": "t2", "channel": "web"}, "a", "32")
    desired.of("toy_service")["t1"] = ObjectState(
        "t1", {"name": "t1", "channel": "web", "description": "new"}, "a"
    )
    desired.of("toy_service")["t2"] = ObjectState("t2", {"name": "t2", "channel": "mail"}, "a")
    segment = _plan(desired, live)
    actions = {c.address: c.action for c in segment.changes}
    assert actions == {"toy_service.t1": "update", "toy_service.t2": "replace"}
    patch = next(s for s in segment.steps if s.method == "PATCH")
    assert (patch.path, patch.body) == ("/audiences/1/toy_services/31", {"description": "new"})
    post = next(s for s in segment.steps if s.method == "POST")
    assert post.body == {"name": "t2", "channel": "mail", "attributeId": "21"}
    assert post.refs == {}


def test_a_kind_references_only_kinds_written_before_it(toy: Kind) -> None:
    for kind in all_kinds():
        if kind.reference_kind is not None:
            target = next(k for k in all_kinds() if k.name == kind.reference_kind)
            assert target.order < kind.order, f"{kind.name} is written before {target.name}"


def test_a_kind_without_its_own_reasons_replaces_on_any_unpatchable_change() -> None:
    plain = Kind(
        name="plain_service",
        label="plain service",
        path="plain_services",
        order=3,
        comparable=lambda body: dict(body),
        identity="name",
        patchable=frozenset({"name", "description"}),
        reference_field="attributeId",
        reference_kind="attribute",
        references=_toy_references,
        make=lambda identity, body, reference, object_id: ObjectState(
            identity, body, reference, object_id
        ),
    )
    with registered(plain):
        desired, live = _states()
        for identifier in ("a", "b"):
            live.attributes[identifier] = AttributeState(
                identifier, _attribute(identifier), "views", f"2{identifier}"
            )
            desired.attributes[identifier] = AttributeState(
                identifier, _attribute(identifier), "views"
            )
        live.of("plain_service")["p"] = ObjectState("p", {"name": "p"}, "a", "41")
        desired.of("plain_service")["p"] = ObjectState("p", {"name": "p"}, "b")
        (change,) = _plan(desired, live).changes
    assert (change.action, change.reasons) == ("replace", ["attributeId cannot be patched"])


def test_a_kind_the_file_does_not_manage_is_left_alone(toy: Kind) -> None:
    desired, live = _states()
    desired.managed = frozenset({"key_event", "attribute"})  # as translate.desired_state
    live.attributes["a"] = AttributeState("a", _attribute("a"), "views", "21")
    desired.attributes["a"] = AttributeState("a", _attribute("a"), "views")
    live.of("toy_service")["console_made"] = ObjectState("console_made", {"name": "x"}, "a", "31")
    assert _plan(desired, live).changes == []
    del desired.attributes["a"]  # and what it names stays, since it cannot be deleted under it
    with pytest.raises(PlanError, match=r"cannot be deleted: toy_service\.console_made"):
        _plan(desired, live)


def test_renames_are_per_kind(toy: Kind) -> None:
    desired, live = _states()
    desired.key_events.clear()
    live.key_events.clear()
    live.key_events["old"] = KeyEventState("old", {**VIEWS, "name": "old"}, "11")
    desired.key_events["new"] = KeyEventState("new", {**VIEWS, "name": "new"})
    desired.renames = {"key_event": {"new": "old"}}
    live.of("toy_service")["old"] = ObjectState(
        "old", {"name": "old", "channel": "web"}, None, "31"
    )
    desired.of("toy_service")["new"] = ObjectState("new", {"name": "new", "channel": "web"})
    actions = {c.address: c.action for c in _plan(desired, live).changes}
    assert actions == {
        "key_event.new": "update",  # renamed
        "toy_service.new": "create",  # toy services are not renamed by a key event's rename
        "toy_service.old": "delete",
    }


def test_a_saved_plan_whose_reference_id_was_edited_is_refused(toy: Kind) -> None:
    from rtcfg.engine.plancheck import live_problems

    desired, live = _states()
    live.attributes["a"] = AttributeState("a", _attribute("a"), "views", "21")
    desired.attributes["a"] = AttributeState("a", _attribute("a"), "views")
    desired.of("toy_service")["t"] = ObjectState("t", {"name": "t", "channel": "web"}, "a")
    segment = _plan(desired, live)
    assert live_problems(segment, live) == []
    (post,) = segment.steps
    assert post.body is not None and post.body["attributeId"] == "21"
    post.body["attributeId"] = "999"
    assert live_problems(segment, live) == [
        "1: step 1 (toy_service.t): its attributeId is not the id of attribute 'a'"
    ]
