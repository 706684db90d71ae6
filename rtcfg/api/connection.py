"""Where rtcfg's requests go and with which key (spec/cli.md "Connection and credentials").

:func:`resolve_connection` turns ``--site``/``--endpoint``/``--td-endpoint``/``--profile`` and
the environment into a :class:`Connection`. The API key is sent only over https, or over http
to a loopback address (:func:`check_key_may_be_sent`); it is kept out of reprs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from rtcfg.errors import CredentialsError, UsageError
from rtcfg.safe_text import first_unsafe, safe

# site → (CDP API base, TD API base); api/NOTES.md §1.1 and §5. jp01 is also called ap01.
# The TD API host of ap03 is INFERRED from the naming of the other sites: no public source
# lists it (NOTES.md §5 stops at ap02).
SITES: dict[str, tuple[str, str]] = {
    "us01": ("https://api-cdp.treasuredata.com", "https://api.treasuredata.com"),
    "jp01": ("https://api-cdp.treasuredata.co.jp", "https://api.treasuredata.co.jp"),
    "eu01": ("https://api-cdp.eu01.treasuredata.com", "https://api.eu01.treasuredata.com"),
    "ap02": ("https://api-cdp.ap02.treasuredata.com", "https://api.ap02.treasuredata.com"),
    "ap03": ("https://api-cdp.ap03.treasuredata.com", "https://api.ap03.treasuredata.com"),
}
SITE_ALIASES = {"ap01": "jp01"}
DEFAULT_SITE = "us01"


@dataclass(frozen=True)
class Connection:
    """Where to send requests and with which key; ``notices`` are warnings for the user."""

    cdp_base: str
    td_base: str
    api_key: str = field(repr=False)
    site: str = DEFAULT_SITE
    notices: tuple[str, ...] = ()
    key_source: str = ""  # the environment variable the key came from (never the key)


def resolve_connection(
    site: str | None,
    endpoint: str | None,
    td_endpoint: str | None,
    profile: str | None,
    env: Mapping[str, str],
) -> Connection:
    """The connection from options first, then the environment (spec/cli.md)."""
    site_name = _resolve_site(site or env.get("RTCFG_SITE") or env.get("TDX_SITE"))
    cdp_default, td_default = SITES[site_name]
    cdp = _base_url(endpoint or env.get("RTCFG_ENDPOINT"), "--endpoint")
    td = _base_url(td_endpoint or env.get("RTCFG_TD_ENDPOINT"), "--td-endpoint")
    if td is None and cdp is not None and is_loopback(cdp):
        td = cdp  # the emulator serves the CDP and the TD API on one port
    key, source, notices = _resolve_key(profile or env.get("TDX_PROFILE"), env)
    conn = Connection(cdp or cdp_default, td or td_default, key, site_name, notices, source)
    check_key_may_be_sent(conn)
    return conn


def _resolve_site(site: str | None) -> str:
    name = (site or DEFAULT_SITE).strip().lower()
    name = SITE_ALIASES.get(name, name)
    if name not in SITES:
        known = ", ".join([*SITES, *(f"{a} (= {s})" for a, s in SITE_ALIASES.items())])
        raise UsageError(f"unknown site '{site}': use one of {known}")
    return name


def shown_url(url: str) -> str:
    """``url`` as it may appear in a message: scheme, host, port and path only. Userinfo
    (``user:password@``), a query or a fragment may hold a secret and are never echoed."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # a port that is no number, brackets that do not close
        return "(an unreadable URL)"
    host = f"[{host}]" if ":" in host else host
    return safe(f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else parts.path)


def _base_url(url: str | None, option: str) -> str | None:
    if not url:
        return None
    shown = shown_url(url)
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 -- raises ValueError for a port that is no number
    except ValueError:
        raise UsageError(
            f"{option} is not a valid URL (a port is a number up to 65535, an IPv6 address "
            "goes in [ ]), e.g. https://host or http://127.0.0.1:8765"
        ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option} must be an http(s) URL such as https://host, not '{shown}'")
    if "@" in parts.netloc:
        raise UsageError(
            f"{option} must not carry a user name or password ('user@' or 'user:pass@'): "
            f"'{shown}'; the key goes in TDX_API_KEY"
        )
    if parts.query or parts.fragment:
        raise UsageError(f"{option} must not have a query or fragment: '{shown}'")
    if first_unsafe(url.strip()) is not None or " " in url.strip():
        raise UsageError(f"{option} holds spaces or control characters: '{shown}'")
    return url.strip().rstrip("/")


def _resolve_key(profile: str | None, env: Mapping[str, str]) -> tuple[str, str, tuple[str, ...]]:
    """(key, variable it came from, notices); CredentialsError names every variable tried."""
    names: list[str] = []
    notices: list[str] = []
    if profile:
        names.append("TDX_API_KEY_" + re.sub(r"[^A-Za-z0-9]", "_", profile).upper())
    names += ["TDX_API_KEY", "TD_API_KEY"]
    for name in names:
        key = (env.get(name) or "").strip()
        if not key:
            continue
        if not all("!" <= ch <= "~" for ch in key):  # what an HTTP header value can carry
            raise CredentialsError(
                f"the API key in {name} holds characters an HTTP header cannot carry (spaces, "
                "control characters or non-ASCII letters): copy the key again"
            )
        if profile and name != names[0]:
            notices.append(f"{names[0]} (profile '{profile}') is not set; using {name}")
        if name == "TD_API_KEY":
            notices.append("TD_API_KEY is deprecated: set TDX_API_KEY instead")
        return key, name, tuple(notices)
    # the variable to set first; every other one looked at after it, the deprecated one marked
    other = "" if profile else ", or TDX_API_KEY_<NAME> with --profile NAME"
    read = ", ".join(f"{n} (deprecated)" if n == "TD_API_KEY" else n for n in names[1:])
    raise CredentialsError(
        f"no API key: set {names[0]} (the TD master API key){other}; also read: {read}"
    )


def is_loopback(url: str) -> bool:
    """True for http(s) URLs on 127.0.0.0/8, ::1 or localhost."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_key_may_be_sent(conn: Connection) -> None:
    """A key travels over https, or over plain http only to this machine."""
    for url in (conn.cdp_base, conn.td_base):
        if urlsplit(url).scheme != "https" and not is_loopback(url):
            raise CredentialsError(
                f"refusing to send the API key over plain http to {shown_url(url)}: use https "
                "(http is allowed only for loopback addresses such as the emulator)"
            )
