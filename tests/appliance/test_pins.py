"""The pin map: hw/pins.toml, the config defaults and the hardware guide's table agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config, load_config
from appliance.errors import ConfigError
from appliance.pins import DEFAULT_PINS, PWM_CAPABLE, load_pin_map, main, wiring_table

ROOT = Path(__file__).resolve().parents[2]
PINS = ROOT / "hw" / "pins.toml"


def test_config_defaults_equal_hw_pins_toml() -> None:
    specs = load_pin_map(PINS)
    from_file = {spec.config_key: spec.bcm for spec in specs}
    assert from_file == DEFAULT_PINS
    config = Config()
    assert {key: getattr(config, key) for key in DEFAULT_PINS} == from_file
    names = {spec.name: spec.bcm for spec in specs}
    assert names["hook_switch"] == config.hook_pin
    assert names["camera_led"] == config.camera_led_pin
    assert config.led_pin in PWM_CAPABLE


def test_readme_wiring_table_is_generated_from_pins_toml() -> None:
    readme = (ROOT / "hw" / "README.md").read_text()
    assert wiring_table(load_pin_map(PINS)) in readme, (
        "hw/README.md's wiring table is stale: regenerate it with "
        "`python -m appliance.pins --markdown hw/pins.toml`"
    )


def test_cli_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--markdown", str(PINS)]) == 0
    out = capsys.readouterr().out
    assert "| 11 | GPIO17 |" in out and "`hook_pin`" in out
    assert main([]) == 2


def test_single_pin_overrides_and_pins_file(tmp_path: Path) -> None:
    assert load_config(None, env={"BT_TERMINAL_LED_PIN": "12"}).led_pin == 12
    custom = tmp_path / "pins.toml"
    custom.write_text(
        PINS.read_text().replace("bcm = 27", "bcm = 22").replace("bcm = 24", "bcm = 25")
    )
    config = load_config(None, env={"BT_TERMINAL_PINS_FILE": str(custom)})
    assert (config.hook_pin, config.camera_led_pin, config.button_pin) == (22, 25, 17)
    env = {"BT_TERMINAL_PINS_FILE": str(custom), "BT_TERMINAL_HOOK_PIN": "5"}
    assert load_config(None, env=env).hook_pin == 5


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"BT_TERMINAL_HOOK_PIN": "17"}, "hook_pin"),
        ({"BT_TERMINAL_CAMERA_LED_PIN": "23"}, "camera_led_pin"),
        ({"BT_TERMINAL_PINS_FILE": "/nonexistent/pins.toml"}, "pins_file"),
        ({"BT_TERMINAL_BUTTON_BOUNCE_S": "2"}, "button_bounce_s"),
        ({"BT_TERMINAL_CAMERA": "webcam"}, "camera"),
        ({"BT_TERMINAL_CAMERA_SIZE": "640"}, "camera_size"),
        ({"BT_TERMINAL_CAMERA_FPS": "0"}, "camera_fps"),
    ],
)
def test_invalid_hardware_values_name_the_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(None, env=env)
    assert err.value.key == key


def test_bad_pin_map(tmp_path: Path) -> None:
    path = tmp_path / "pins.toml"
    path.write_text(
        '[a]\nbcm = 17\nconfig_key = "button_pin"\n[b]\nbcm = 17\nconfig_key = "led_pin"\n'
    )
    with pytest.raises(ConfigError, match="twice"):
        load_pin_map(path)
    path.write_text('[a]\nbcm = 40\nconfig_key = "button_pin"\n')
    with pytest.raises(ConfigError, match="bcm"):
        load_pin_map(path)
    path.write_text('[a]\nbcm = 4\nconfig_key = "x_pin"\n')
    with pytest.raises(ConfigError, match="config_key"):
        load_pin_map(path)


def test_camera_defaults() -> None:
    config = Config()
    assert (config.camera, config.camera_device, config.camera_size, config.camera_fps) == (
        "synthetic", "/dev/video0", "640x480", 25,
    )  # fmt: skip
    assert config.button_bounce_s == 0.05
