"""The TOML writer, the NetworkManager keyfile and the boot file without its code."""

from __future__ import annotations

import configparser
import stat
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.provision.bootconfig import Wifi
from appliance.provision.bootfile import STAMP_PREFIX, rewrite, without_code
from appliance.provision.network import (
    CONNECTION_ID,
    KEYFILE_NAME,
    bring_up_now,
    escape,
    reload_connections,
    render_keyfile,
    ssid_value,
)
from appliance.provision.tomlwrite import dumps

scalars = st.one_of(
    st.text(),
    st.integers(-(2**63), 2**63 - 1),
    st.booleans(),
    st.floats(allow_nan=False),
    st.lists(st.text(), max_size=4),
)
keys = st.text(min_size=1, max_size=20)


@given(
    st.dictionaries(keys, scalars, max_size=6),
    st.dictionaries(keys, st.dictionaries(keys, scalars, max_size=4), max_size=3),
)
def test_dumps_round_trips(flat: dict[str, object], tables: dict[str, dict[str, object]]) -> None:
    data: dict[str, object] = {k: v for k, v in flat.items() if k not in tables}
    data.update(tables)
    assert tomllib.loads(dumps(data)) == data


def test_dumps_refuses_what_it_cannot_write() -> None:
    with pytest.raises(TypeError):
        dumps({"a": [1, 2]})
    with pytest.raises(TypeError):
        dumps({"a": None})
    assert tomllib.loads(dumps({"x": float("inf")})) == {"x": float("inf")}


def keyfile(wifi: Wifi) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(render_keyfile(wifi))
    return parser


def test_keyfile_with_password() -> None:
    parsed = keyfile(Wifi(ssid="Rathaus-Gäste", psk="geheim 123", country="DE"))
    assert parsed["connection"]["id"] == CONNECTION_ID
    assert parsed["connection"]["type"] == "wifi"
    assert parsed["wifi"]["ssid"] == "Rathaus-Gäste"
    assert parsed["wifi-security"]["key-mgmt"] == "wpa-psk"
    assert parsed["wifi-security"]["psk"] == "geheim 123"
    assert parsed["ipv4"]["method"] == "auto"
    # the same network gives the same connection uuid (a re-import replaces, not adds)
    again = keyfile(Wifi(ssid="Rathaus-Gäste", psk="other-pass"))
    assert again["connection"]["uuid"] == parsed["connection"]["uuid"]


def test_keyfile_open_network_and_escapes() -> None:
    assert "wifi-security" not in keyfile(Wifi(ssid="Offen"))
    assert ssid_value("a;b") == "97;59;98;"
    assert ssid_value("1234") == "49;50;51;52;"
    assert ssid_value(" lead") == "32;108;101;97;100;"
    assert escape("  a\\b ") == "\\s\\sa\\\\b\\s"
    assert escape("plain") == "plain"


def test_bring_up_now_writes_private_keyfile(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(argv: object) -> int:
        calls.append(list(argv))  # type: ignore[call-overload]
        return 0

    run_dir = tmp_path / "run" / "NetworkManager" / "system-connections"
    assert bring_up_now(Wifi(ssid="Gast", psk="12345678"), run_dir=run_dir, runner=runner)
    path = run_dir / KEYFILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert calls[0] == ["nmcli", "connection", "load", str(path)]
    assert calls[1][-3:] == ["up", "id", CONNECTION_ID]
    assert not bring_up_now(Wifi(ssid="Gast"), run_dir=run_dir, runner=lambda argv: 1)
    # after the import the /data copy takes over
    assert reload_connections(run_dir=run_dir, runner=runner)
    assert not path.exists() and calls[-1] == ["nmcli", "connection", "reload"]


BOOT = """\
# Bürgerterminal, Rathaus Adorf
console_url = "https://console.example.org"
enrollment_code = "K7PM-Q3XD-9HTW"   # from the console
timezone = "Europe/Berlin"

[wifi]
ssid = "Rathaus"   # guest network
"""


def test_without_code_keeps_everything_else() -> None:
    text = without_code(BOOT, "imported on 2026-11-26 12:00 UTC")
    lines = text.splitlines()
    assert lines[0] == f"{STAMP_PREFIX} imported on 2026-11-26 12:00 UTC"
    assert lines[1:] == [line for line in BOOT.splitlines() if "K7PM" not in line]
    # a second import replaces the stamp instead of adding one
    again = without_code(text, "imported on 2026-11-27 08:00 UTC")
    assert again.count(STAMP_PREFIX) == 1 and "2026-11-27" in again


def test_without_code_keeps_crlf_and_falls_back_for_odd_files() -> None:
    crlf = without_code(BOOT.replace("\n", "\r\n"), "x")
    assert "\r\n" in crlf and "\n" not in crlf.replace("\r\n", "")
    assert "K7PM" not in crlf
    odd = 'console_url = "https://c.org"\nenrollment_code = """\nK7PM\n"""\n'
    fixed = without_code(odd, "x")
    assert tomllib.loads(fixed) == {"console_url": "https://c.org"}
    assert "K7PM" not in fixed


def test_rewrite_replaces_and_syncs(tmp_path: Path) -> None:
    path = tmp_path / "buergerterminal.toml"
    path.write_text(BOOT)
    synced: list[bool] = []
    rewrite(path, "new\n", lambda: synced.append(True))
    assert path.read_text() == "new\n" and synced == [True]
    assert [p.name for p in tmp_path.iterdir()] == ["buergerterminal.toml"]
