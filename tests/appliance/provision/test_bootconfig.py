"""buergerterminal.toml validation: every key, every error, all problems at once."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.errors import ConfigError
from appliance.provision.bootconfig import (
    BootConfig,
    BootConfigError,
    Wifi,
    check_terminal_values,
    parse_boot_config,
)
from appliance.provision.checks import Problem
from tests.appliance.provision.keys import public_key

GOOD = """\
console_url = "https://console.example.org/"
enrollment_code = "K7PM-Q3XD-9HTW"
"""


def problems(text: str | bytes, *, enrolled: bool = False) -> dict[str, str]:
    with pytest.raises(BootConfigError) as err:
        parse_boot_config(text, enrolled=enrolled)
    assert str(err.value)
    return {p.key: p.fix for p in err.value.problems}


def test_minimal_file_gets_defaults() -> None:
    config = parse_boot_config(GOOD)
    assert config == BootConfig(
        console_url="https://console.example.org", enrollment_code="K7PM-Q3XD-9HTW"
    )
    assert config.timezone == "Europe/Berlin" and config.wifi is None and config.ssh_keys == ()


def test_full_file() -> None:
    keys = [public_key("ssh-ed25519"), public_key("ssh-rsa"), public_key("ecdsa-sha2-nistp256")]
    text = (
        GOOD
        + f"""
terminal_name = "Rathaus Adorf, Eingang"
timezone = "Europe/Vienna"
ssh_key = {keys!r}

[wifi]
ssid = "Rathaus-Gäste"
psk = "geheim123"
country = "at"

[terminal]
camera = "auto"
kiosk_port = 8090
ice_host_addresses = ["192.0.2.1"]
button_bounce_s = 0.1
"""
    )
    config = parse_boot_config(text.replace("'", '"'))
    assert config.terminal_name == "Rathaus Adorf, Eingang"
    assert config.timezone == "Europe/Vienna"
    assert config.ssh_keys == tuple(keys)
    assert config.wifi == Wifi(ssid="Rathaus-Gäste", psk="geheim123", country="AT")
    assert config.terminal == {
        "camera": "auto",
        "kiosk_port": 8090,
        "ice_host_addresses": ["192.0.2.1"],
        "button_bounce_s": 0.1,
    }


def test_secrets_stay_out_of_repr() -> None:
    config = parse_boot_config(GOOD + '[wifi]\nssid = "x"\npsk = "supersecret1"\n')
    assert "K7PM" not in repr(config) and "supersecret1" not in repr(config)


@pytest.mark.parametrize(
    ("line", "key", "fragment"),
    [
        (
            'console_url = "console.example.org"',
            "console_url",
            'mean "https://console.example.org"',
        ),
        ('console_url = "ftp://x.org"', "console_url", "https://"),
        ('console_url = "https://"', "console_url", "no spaces"),
        ("console_url = 5", "console_url", "double quotes"),
        ('enrollment_code = ""', "enrollment_code", "is empty"),
        ("enrollment_code = 1234", "enrollment_code", "double quotes"),
        ('enrollment_code = "K7PM_Q3XD"', "enrollment_code", "letters, digits and dashes"),
        (f'enrollment_code = "{"A" * 65}"', "enrollment_code", "too long (65"),
        ('terminal_name = ""', "terminal_name", "is empty"),
        (f'terminal_name = "{"n" * 65}"', "terminal_name", "at most 64 characters (it has 65)"),
        ('terminal_name = "a\\tb"', "terminal_name", "one line"),
        ('timezone = "Europe/Berln"', "timezone", "not a known time zone"),
        ('timezone = "../../etc/passwd"', "timezone", "not a known time zone"),
        ("timezone = 1", "timezone", "double quotes"),
        ('ssh_key = ""', "ssh_key", "is empty"),
        ("ssh_key = 5", "ssh_key", "public key in double quotes"),
        ('ssh_key = "-----BEGIN OPENSSH PRIVATE KEY-----"', "ssh_key", "private key"),
        ('ssh_key = "ssh-dss AAAAB3NzaC1kc3M="', "ssh_key", "starts with 'ssh-dss'"),
        ('ssh_key = "ssh-ed25519"', "ssh_key", "only the type"),
        ('ssh_key = "ssh-ed25519 AAAA%%%%"', "ssh_key", "damaged"),
        (
            'ssh_key = "ssh-rsa ' + base64.b64encode(b"\0\0\0\x0bssh-ed25519xxxx").decode() + '"',
            "ssh_key",
            "does not belong to a ssh-rsa key",
        ),
        ('wlan = "x"', "wlan", "not a known setting"),
        ('timezon = "Europe/Berlin"', "timezon", "did you mean timezone?"),
        ('wifi = "Gast"', "wifi", "must be a section"),
        ('terminal = "x"', "terminal", "must be a section"),
    ],
)
def test_top_level_errors(line: str, key: str, fragment: str) -> None:
    text = GOOD.replace(line.split(" =")[0] + " =", "#") + line + "\n"
    found = problems(text)
    assert key in found, found
    assert fragment in found[key]


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ('psk = "12345678"', "wifi.ssid", "is missing"),
        ('ssid = ""', "wifi.ssid", "1 to 32 bytes long (it has 0)"),
        ('ssid = "' + "ä" * 17 + '"', "wifi.ssid", "(it has 34; letters like ä"),
        ("ssid = 5", "wifi.ssid", "double quotes"),
        ('ssid = "x"\npsk = "12345"', "wifi.psk", "must be 8 to 63 characters (it has 5)"),
        ('ssid = "x"\npsk = "' + "p" * 64 + '"', "wifi.psk", "hex key"),
        ('ssid = "x"\npsk = "' + "p" * 70 + '"', "wifi.psk", "(it has 70)"),
        ('ssid = "x"\npsk = "Grüße123"', "wifi.psk", "no umlauts"),
        ('ssid = "x"\npsk = 12345678', "wifi.psk", "double quotes"),
        ('ssid = "x"\ncountry = "DEU"', "wifi.country", "two letters"),
        ('ssid = "x"\npassword = "12345678"', "wifi.password", "not a known setting"),
    ],
)
def test_wifi_errors(table: str, key: str, fragment: str) -> None:
    found = problems(GOOD + "[wifi]\n" + table + "\n")
    assert fragment in found[key], found


def test_wifi_good_variants() -> None:
    hex_key = "0123456789abcdef" * 4
    config = parse_boot_config(GOOD + f'[wifi]\nssid = "{"x" * 32}"\npsk = "{hex_key}"\n')
    assert config.wifi == Wifi(ssid="x" * 32, psk=hex_key, country="DE")
    config = parse_boot_config(GOOD + '[wifi]\nssid = "Offen"\n')
    assert config.wifi is not None and config.wifi.psk is None


def test_ssh_keys_in_one_multiline_string() -> None:
    one, two = public_key(), public_key("ssh-rsa", comment="")
    config = parse_boot_config(GOOD + f'ssh_key = """\n{one}\n\n{two}\n"""\n')
    assert config.ssh_keys == (one, two)
    found = problems(GOOD + f'ssh_key = ["{one}", "ssh-rsa AAAA!"]\n')
    assert found["ssh_key"].startswith("key 2: ")


def test_code_optional_only_when_enrolled() -> None:
    text = 'console_url = "http://192.0.2.7:8080"\n'
    assert "is missing" in problems(text)["enrollment_code"]
    assert parse_boot_config(text, enrolled=True).enrollment_code is None
    assert "console_url" in problems("", enrolled=True)


def test_terminal_table_uses_load_config() -> None:
    found = problems(
        GOOD + '[terminal]\nkiosk_port = 99999\ncamera = "webcam"\n'
        'printer = "laser"\ncamra = "auto"\ndata_dir = "/tmp"\n'
        'console_url = "http://x"\nice_host_addresses = [1]\n'
    )
    # the same sentences load_config gives for the same values
    with pytest.raises(ConfigError) as err:
        load_config(None, env={"BT_TERMINAL_KIOSK_PORT": "99999"})
    assert str(err.value).endswith(found["terminal.kiosk_port"])
    assert found["terminal.camera"].startswith("must be one of auto, picamera2")
    assert found["terminal.printer"].startswith("must be one of cups")
    assert "did you mean camera?" in found["terminal.camra"]
    assert "set by the import" in found["terminal.data_dir"]
    assert "top of the file" in found["terminal.console_url"]
    assert "list of texts" in found["terminal.ice_host_addresses"]


def test_terminal_cross_key_rules() -> None:
    # a pin moved together with the one it would clash with: fine
    ok = GOOD + '[terminal]\nbutton_pin = 18\nled_pin = 12\naudio = "wav"\naudio_wav = "a.wav"\n'
    assert parse_boot_config(ok).terminal["led_pin"] == 12
    # clash with a default pin, plus an independent mistake after it: both reported
    found = problems(GOOD + '[terminal]\nbutton_pin = 18\ncard_reader = "usb"\n')
    assert found["terminal.led_pin"] == "must differ from button_pin"
    assert found["terminal.card_reader"].startswith("must be one of pcsc")
    assert check_terminal_values({"audio": "wav"}) == [
        Problem("terminal.audio_wav", 'is required with audio = "wav"')
    ]


def test_several_problems_at_once() -> None:
    text = """\
console_url = "console.example.org"
timezone = "Berlin"
colour = "blue"
[wifi]
ssid = "Rathaus"
psk = "short"
[terminal]
camera_fps = 0
"""
    found = problems(text)
    assert set(found) == {
        "console_url",
        "timezone",
        "colour",
        "enrollment_code",
        "wifi.psk",
        "terminal.camera_fps",
    }
    assert found["wifi.psk"] == "must be 8 to 63 characters (it has 5)"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('console_url = "https://x.org"\nenrollment_code = K7PM\n', "line 2 (column 19)"),
        ('console_url = "https://x.org\n', "line 1"),
        ('[wifi]\nssid = "a"\n[wifi]\nssid = "b"\n', "line 3"),
        ('console_url = """https://x.org', "closing quote"),
    ],
)
def test_syntax_errors_name_the_line(text: str, fragment: str) -> None:
    found = problems(text)
    assert list(found) == ["buergerterminal.toml"]
    assert fragment in found["buergerterminal.toml"]


def test_encodings() -> None:
    assert parse_boot_config(("\ufeff" + GOOD).encode()).console_url  # BOM from Notepad
    assert parse_boot_config(GOOD.replace("\n", "\r\n").encode()).console_url
    found = problems((GOOD + 'terminal_name = "Büro"\n').encode("latin-1"))
    assert "UTF-8" in found["buergerterminal.toml"]


def test_example_file_is_valid() -> None:
    example = Path(__file__).resolve().parents[3] / "image" / "buergerterminal.example.toml"
    config = parse_boot_config(example.read_bytes())
    assert config.enrollment_code and config.wifi is not None
    assert config.terminal["camera"] == "auto"
