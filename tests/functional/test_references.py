"""A destructive plan names the personalizations and journeys it breaks (CLI over a socket).

The seed's populated segment has a personalization that uses attributes 2330 and 2331 and key
event 813, and a journey whose stage and goal use key events 811 and 812.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread

KEY = "1/references-SECRET"
POPULATED = "1069935"
ENTITIES = "/entities/parent_segments/1069935/"
PERSONALIZATION = "personalization 'Product recommendations' (id 5101)"
JOURNEY = "journey 'Cart abandonment' (id 5301)"


def rtcfg(emu: EmulatorThread, *args: str) -> tuple[int, str, str]:
    env = {"RTCFG_ENDPOINT": emu.url, "TDX_API_KEY": KEY, "TD_API_KEY": "", "TDX_PROFILE": ""}
    result = CliRunner().invoke(cli, list(args), env=env)
    assert KEY not in result.stdout + result.stderr and "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


@pytest.fixture(scope="module")
def imported(emu: EmulatorThread, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("references") / "populated.yaml"
    code, _, err = rtcfg(emu, "import", POPULATED, "-o", str(path))
    assert code == 0, err
    return path.read_text()


def without_attribute(text: str, identifier: str) -> str:
    pattern = rf"  - name: [^\n]*\n    identifier: {identifier}\n(    .*\n)+"
    changed = re.sub(pattern, "", text)
    assert changed != text
    return changed


def entity_reads(emu: EmulatorThread) -> int:
    return sum(1 for r in emu.requests() if r["path"].startswith(ENTITIES))


def test_an_ordinary_plan_reads_no_personalization_or_journey(
    emu: EmulatorThread, imported: str, tmp_path: Path
) -> None:
    config = tmp_path / "same.yaml"
    config.write_text(imported.replace("Most recent product page", "The last product page"))
    before = entity_reads(emu)
    code, out, _ = rtcfg(emu, "plan", str(config))
    assert code == 0 and "~ attribute.last_product_viewed" in out
    assert entity_reads(emu) == before


def test_a_delete_names_the_personalization_it_breaks_in_every_format(
    emu: EmulatorThread, imported: str, tmp_path: Path
) -> None:
    config = tmp_path / "fewer.yaml"
    config.write_text(without_attribute(imported, "last_product_viewed"))
    code, out, _ = rtcfg(emu, "plan", str(config))
    assert code == 0 and f"# breaks {PERSONALIZATION}" in out
    code, out, _ = rtcfg(emu, "plan", str(config), "--format", "markdown")
    assert f"# breaks {PERSONALIZATION}" in out
    code, out, _ = rtcfg(emu, "plan", str(config), "--format", "json")
    segment = json.loads(out)["segments"][0]
    assert segment["breaks"] == {"attribute.last_product_viewed": [PERSONALIZATION]}
    assert segment["references_unchecked"] is None
    code, _, err = rtcfg(emu, "apply", str(config), "-y")
    assert code == 3 and f"breaks {PERSONALIZATION}" in err and "--allow-destroy" in err


def test_a_key_event_delete_names_the_journey_it_breaks(
    emu: EmulatorThread, imported: str, tmp_path: Path
) -> None:
    text = without_attribute(imported, "cart_quantity_7d")
    text = re.sub(r"  - name: add_to_cart\n(    .*\n)+", "", text, count=1)
    config = tmp_path / "no_cart.yaml"
    config.write_text(text)
    code, out, _ = rtcfg(emu, "plan", str(config), "--format", "json")
    assert code == 0, out
    breaks = json.loads(out)["segments"][0]["breaks"]
    assert breaks.get("key_event.add_to_cart") == [JOURNEY]
    assert "attribute.cart_quantity_7d" not in breaks  # nothing uses that one


def test_a_saved_plan_keeps_what_it_breaks(
    emu: EmulatorThread, imported: str, tmp_path: Path
) -> None:
    config = tmp_path / "fewer.yaml"
    config.write_text(without_attribute(imported, "browsed_products"))
    saved = tmp_path / "plan.json"
    code, _, _ = rtcfg(emu, "plan", str(config), "-o", str(saved))
    assert code == 0
    code, _, err = rtcfg(emu, "apply", str(saved), "-y")
    assert code == 3 and f"breaks {PERSONALIZATION}" in err


@pytest.mark.parametrize("mode", ["forbidden", "missing"])
def test_refused_reads_say_could_not_check_and_plan_goes_on(
    imported: str, tmp_path: Path, mode: str
) -> None:
    config = tmp_path / "fewer.yaml"
    config.write_text(without_attribute(imported, "last_product_viewed"))
    with EmulatorThread(update_seconds=0.0, behaviours={"entities": mode}) as emu:
        code, out, _ = rtcfg(emu, "plan", str(config))
        assert code == 0 and "- attribute.last_product_viewed" in out
        assert "could not check which personalizations and journeys" in out
        assert "answered 403" in out if mode == "forbidden" else "answered 404" in out
        code, out, _ = rtcfg(emu, "plan", str(config), "--format", "markdown")
        assert "> [!CAUTION]\n> could not check which personalizations" in out
        code, _, err = rtcfg(emu, "apply", str(config), "-y")
        assert code == 3 and "could not check" in err
        code, out, err = rtcfg(emu, "apply", str(config), "-y", "--allow-destroy")
        assert code == 0 and "Apply complete!" in out, out + err
