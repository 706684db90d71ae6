"""The key reaches only TLS or a loopback peer, and wrong endpoints say so.

A real proxy on loopback (a socket that records every byte) stands in for HTTP(S)_PROXY; a
socket that answers canned bytes stands in for servers that echo the key or are no API at
all. Commands run in-process through click's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from rtcfg.cli import cli
from rtcfg.emulator import EmulatorThread
from rtcfg.errors import TransportError
from tests.functional.emulator_support import call, closed_port_url
from tests.functional.raw_server import RecordingServer, answer

KEY = "1/PROXYCANARY0123456789abcdef"
SECRET = KEY.partition("/")[2]
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
)
BAD_GATEWAY = answer("502 Bad Gateway", b"")


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorThread]:
    with EmulatorThread(update_seconds=0.0) as thread:
        yield thread


@pytest.fixture(autouse=True)
def no_proxy_from_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def rtcfg(*args: str, **env: str) -> Result:
    environment = {"TDX_API_KEY": KEY, "NO_COLOR": "1", **env}
    return CliRunner().invoke(cli, list(args), env=environment, catch_exceptions=False)


def leaks(text: str | bytes) -> bool:
    """Any 10 characters of the key's secret half: also a cut-off copy counts."""
    data = text.decode("latin-1") if isinstance(text, bytes) else text
    return any(SECRET[i : i + 10] in data for i in range(len(SECRET) - 9))


def test_plain_http_never_goes_through_a_proxy(emu: EmulatorThread) -> None:
    with RecordingServer(BAD_GATEWAY) as proxy:
        proxies = {name: proxy.url for name in ("HTTP_PROXY", "ALL_PROXY", "http_proxy")}
        result = rtcfg("status", "1069935", "--endpoint", emu.url, **proxies)
    assert result.exit_code == 0, result.output
    assert proxy.received == b""


def test_https_goes_through_the_proxy_only_as_a_tunnel(emu: EmulatorThread) -> None:
    https = emu.url.replace("http://", "https://")
    with RecordingServer(BAD_GATEWAY) as proxy:
        result = rtcfg("status", "1069935", "--endpoint", https, HTTPS_PROXY=proxy.url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert proxy.received.startswith(b"CONNECT 127.0.0.1:")
    assert b"authorization" not in proxy.received.lower() and not leaks(proxy.received)
    assert "127.0.0.1" in result.output


def test_no_proxy_is_honoured_and_a_tls_failure_is_final_with_a_hint(
    emu: EmulatorThread,
) -> None:
    https = emu.url.replace("http://", "https://")
    with RecordingServer(BAD_GATEWAY) as proxy:
        result = rtcfg(
            "status", "1069935", "--endpoint", https, HTTPS_PROXY=proxy.url, NO_PROXY="127.0.0.1"
        )
    assert proxy.received == b""
    assert result.exit_code == 1
    assert "does this endpoint speak TLS?" in result.output and "127.0.0.1" in result.output
    assert "after 6 attempts" not in result.output  # final at once, not retried


@pytest.mark.parametrize(
    "reply",
    [
        answer(
            "400 Bad Request",
            json.dumps(
                {"errors": [{"code": f"bad_{KEY}", "detail": f"key {KEY}", "meta": {"k": KEY}}]}
            ).encode(),
        ),
        answer("403 Forbidden", json.dumps({"code": KEY, "message": f"no {SECRET}"}).encode()),
        # the key across the point where a long text is cut short
        answer("400 Bad Request", b"x" * 290 + KEY.encode() + b"y" * 50, "text/plain"),
        answer("400 Bad Request", json.dumps({"message": "é" * 280 + KEY}).encode()),
    ],
    ids=["jsonapi", "rest", "plain-text-cut", "rest-cut"],
)
def test_a_server_that_echoes_the_key_never_shows_it(reply: bytes) -> None:
    with RecordingServer(reply) as server:
        result = rtcfg("-v", "status", "1069935", "--endpoint", server.url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not leaks(result.output), result.output


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        (answer("404 Not Found", b"<html><h1>Not Found</h1></html>", "text/html"), "an HTML page"),
        (answer("404 Not Found", b"no such page", "text/plain"), "a body that is not JSON"),
        (answer("301 Moved", b"<html>moved</html>", "text/html"), "an HTML page"),
    ],
    ids=["404-html", "404-text", "redirect"],
)
def test_an_answer_that_is_not_the_api_names_the_url(reply: bytes, says: str) -> None:
    with RecordingServer(reply) as server:
        result = rtcfg("status", "1069935", "--endpoint", server.url)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"GET {server.url}/audiences/1069935" in result.output
    assert says in result.output and "is --endpoint right?" in result.output
    assert "parent segment 1069935 not found" not in result.output  # not blamed on the id


def test_a_200_with_an_html_page_names_the_url_after_its_retries() -> None:
    reply = answer("200 OK", b"<!doctype html><p>login</p>", "text/html")
    with RecordingServer(reply) as server, pytest.raises(TransportError) as caught:
        call(server.url, lambda api: api.get("/audiences"))
    message = str(caught.value)
    assert f"GET {server.url}/audiences answered HTTP 200 with an HTML page" in message
    assert "is --endpoint right?" in message


def test_a_refused_connection_names_the_host() -> None:
    url = closed_port_url()
    with pytest.raises(TransportError) as caught:
        call(url, lambda api: api.get("/audiences"))
    assert url in str(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "hidden"),
    [
        ("http://user:hunter2secret@127.0.0.1:9", "hunter2secret"),
        ("http://hunter2secret@127.0.0.1:9", "hunter2secret"),
        ("http://127.0.0.1:9/?token=hunter2secret", "hunter2secret"),
        ("http://127.0.0.1:9/#hunter2secret", "hunter2secret"),
        ("https://user:hunter2secret@api.example.com:notaport", "hunter2secret"),
        ("http://evil.example@127.0.0.1:9", "evil.example"),
    ],
)
def test_an_endpoint_with_userinfo_or_a_query_is_refused_unechoed(
    endpoint: str, hidden: str
) -> None:
    result = rtcfg("status", "1069935", "--endpoint", endpoint)
    assert result.exit_code == 1 and hidden not in result.output
    assert result.output.startswith("Error: --endpoint")


@pytest.mark.parametrize("key", ["1/abc\u00e9def", "1/abc def", "1/abc\x1bdef", "1/abc\u202edef"])
def test_a_key_a_header_cannot_carry_is_a_one_line_error(key: str) -> None:
    result = CliRunner().invoke(
        cli, ["status", "1069935", "--endpoint", "http://127.0.0.1:9"], env={"TDX_API_KEY": key}
    )
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "header" in result.output and key not in result.output


@pytest.mark.parametrize(
    "proxy", ["socks5://user:hunter2secret@127.0.0.1:1", "ftp://user:hunter2secret@127.0.0.1:1"]
)
def test_an_unusable_proxy_variable_is_a_message(proxy: str) -> None:
    result = rtcfg("status", "1069935", "--endpoint", "https://127.0.0.1:9", HTTPS_PROXY=proxy)
    assert result.exit_code == 1 and "HTTPS_PROXY" in result.output
    assert "hunter2secret" not in result.output and result.output.count("\n") == 1


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"x"', b"null", b'{"data": [1, 2]}', b'{"name": {"a": 1}, "id": []}'],
    ids=["list", "text", "null", "items", "object"],
)
@pytest.mark.parametrize(
    "command", [["status", "1069935"], ["segments"], ["import", "1", "-o", "-"]]
)
def test_an_answer_of_an_unexpected_shape_is_a_message(body: bytes, command: list[str]) -> None:
    with RecordingServer(answer("200 OK", body)) as server:
        result = rtcfg(*command, "--endpoint", server.url)
    # no traceback; a failure says where to look (some shapes read as "RT 2.0 not enabled")
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    assert result.exit_code == 0 or "is --endpoint right?" in result.output, result.output


@pytest.mark.parametrize(
    "endpoint", ["http://[::1", "http://127.0.0.1:99999", "http://127.0.0.1:abc", "https://a b"]
)
def test_an_unreadable_endpoint_is_a_usage_error(endpoint: str) -> None:
    result = rtcfg("status", "1069935", "--endpoint", endpoint)
    assert result.exit_code == 1 and result.output.startswith("Error: --endpoint")


def test_a_ca_bundle_that_cannot_be_loaded_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    from rtcfg.api import client

    client._ssl_context.cache_clear()
    result = rtcfg("status", "1", "--endpoint", "https://127.0.0.1:9", SSL_CERT_FILE="/no/such")
    client._ssl_context.cache_clear()
    assert result.exit_code == 1 and "SSL_CERT_FILE" in result.output


def test_json_nested_too_deep_to_decode_is_a_bad_body_not_a_crash() -> None:
    reply = answer("200 OK", b"[" * 100_000 + b"]" * 100_000)
    with RecordingServer(reply) as server, pytest.raises(TransportError, match="not JSON"):
        call(server.url, lambda api: api.get("/audiences"))


def test_a_json_404_of_a_wrong_path_names_the_url_that_answered(emu: EmulatorThread) -> None:
    result = rtcfg("status", "1069935", "--endpoint", emu.url + "/v1")
    assert result.exit_code == 1
    assert f"{emu.url}/v1/audiences/1069935 answered 404" in result.output
    assert "is --endpoint right?" in result.output


VARIANT_KEY = "1/0123456789abcdefSECRETfedcba9876543210"
EMPTY_CONFIG = 'parent_segment_id: "1069935"\nid_stitching:\n  ext_lookup_key: customer_id\n'


def has_a_run_of(text: str, secret: str, size: int = 12) -> bool:
    folded = text.lower()
    return any(secret[i : i + size].lower() in folded for i in range(len(secret) - size + 1))


def test_a_cut_short_or_upper_cased_key_in_an_error_is_masked_in_every_format(
    emu: EmulatorThread, tmp_path: Path
) -> None:
    echo = f"key {VARIANT_KEY[:21]} / {VARIANT_KEY.partition('/')[2][3:]} / {VARIANT_KEY.upper()}"
    config = tmp_path / "rt.yaml"
    config.write_text(EMPTY_CONFIG)
    # every request faulted: one left in flight by the previous run must not use up the fault
    script = [{"fault": "501", "path": "*", "message": echo, "times": 1000}]
    try:
        for fmt in ("text", "markdown", "json"):
            emu.set_faults(replace=True, script=script)
            result = rtcfg(
                "-v",
                "plan",
                str(config),
                "--format",
                fmt,
                "--endpoint",
                emu.url,
                TDX_API_KEY=VARIANT_KEY,
            )
            assert result.exit_code == 1 and "Traceback" not in result.output, result.output
            assert "key *** / *** / ***" in result.output, result.output  # the text is shown
            assert not has_a_run_of(result.output, VARIANT_KEY), result.output
    finally:
        emu.set_faults(replace=True)  # the module's emulator serves the other tests unfaulted
