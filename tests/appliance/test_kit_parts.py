"""The mobile kit's battery (Linux sysfs power supplies) and LTE modem (ModemManager's
``mmcli -J``): readers against a fake sysfs tree and recorded mmcli samples
(tests/appliance/samples/mmcli/, ModemManager's JSON layout), the mmcli subprocess path
through a stand-in script, edge cases (missing fields, garbage, unplugged hardware) and
the parts report the console and kiosk get."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from appliance.config import load_config
from appliance.errors import ConfigError
from appliance.kit_parts import KitParts, battery_view
from appliance.parts.modem import ModemState, create_modem
from appliance.parts.modem.fake import FakeModem
from appliance.parts.modem.mmcli import MmcliModem, modem_paths, parse_modem
from appliance.parts.power import BatteryState, battery_of, create_power
from appliance.parts.power.fake import FakePower
from appliance.parts.power.sysfs import SysfsPower, read_power_supply
from appliance.ports import BatteryView

SAMPLES = Path(__file__).parent / "samples" / "mmcli"


def supply(root: Path, name: str, **files: str) -> Path:
    """One entry of /sys/class/power_supply with the given attribute files."""
    entry = root / name
    entry.mkdir(parents=True)
    for attr, value in files.items():
        (entry / attr).write_text(value + "\n")
    return entry


def pull_out(root: Path) -> None:
    """Every battery pack under ``root`` pulled out (``present`` 0)."""
    for entry in root.iterdir():
        (entry / "present").write_text("0\n")


# --- battery --------------------------------------------------------------------------------


def test_a_ups_hat_discharging(tmp_path: Path) -> None:
    supply(tmp_path, "rpi-ups", type="Battery", present="1", capacity="83", status="Discharging")
    state = read_power_supply(tmp_path)
    assert state == BatteryState(present=True, level=83, charging=False)
    assert state.parts() == {"battery": "ok", "battery_level": "85", "battery_charging": "no"}


def test_a_laptop_on_its_charger_with_a_mouse_battery_beside(tmp_path: Path) -> None:
    supply(tmp_path, "AC", type="Mains", online="1")
    supply(tmp_path, "BAT0", type="Battery", present="1", capacity="18", status="Not charging")
    supply(tmp_path, "hidpp_battery_0", type="Battery", scope="Device", capacity="5",
           status="Discharging")  # fmt: skip
    state = read_power_supply(tmp_path)
    assert state == BatteryState(present=True, level=18, charging=True)  # mains online
    assert state.parts()["battery"] == "low"


def test_a_gauge_without_capacity_gives_energy_or_charge(tmp_path: Path) -> None:
    supply(tmp_path, "BAT0", type="Battery", energy_now="21000000", energy_full="42000000",
           status="Charging")  # fmt: skip
    assert read_power_supply(tmp_path) == BatteryState(present=True, level=50, charging=True)
    other = tmp_path / "other"
    supply(other, "BAT1", type="Battery", charge_now="900000", charge_full="3000000",
           status="Full")  # fmt: skip
    assert read_power_supply(other) == BatteryState(present=True, level=30, charging=True)


@pytest.mark.parametrize(
    "files",
    [
        {"type": "Battery", "capacity": "ninety", "status": "Discharging"},
        {"type": "Battery", "capacity": "250", "status": "\x00\xff"},
        {"type": "Battery", "capacity": "-4", "energy_now": "5", "energy_full": "0"},
        {"type": "Battery"},
    ],
)
def test_garbage_values_are_unknown_not_errors(tmp_path: Path, files: dict[str, str]) -> None:
    supply(tmp_path, "BAT0", **files)
    state = read_power_supply(tmp_path)
    assert state.present and state.level is None
    assert state.parts()["battery"] == "failed"  # fitted, but its gauge says nothing usable


def test_no_battery_is_missing_never_a_crash(tmp_path: Path) -> None:
    assert read_power_supply(tmp_path / "absent").parts() == {"battery": "missing"}
    assert read_power_supply(tmp_path).parts() == {"battery": "missing"}  # empty directory
    supply(tmp_path, "AC", type="Mains", online="1")  # a Pi on mains: no battery
    supply(tmp_path, "BAT0", type="Battery", present="0", capacity="0")  # pack pulled out
    assert read_power_supply(tmp_path).parts() == {"battery": "missing"}
    entry = supply(tmp_path, "BAT1", type="Battery", capacity="60")
    (entry / "status").mkdir()  # unreadable as a file
    assert read_power_supply(tmp_path) == BatteryState(present=True, level=60, charging=True)


def test_the_battery_travels_in_the_parts_report_and_back(tmp_path: Path) -> None:
    supply(tmp_path, "BAT0", type="Battery", capacity="12", status="Discharging")
    parts = SysfsPower(tmp_path).read().parts()
    assert parts == {"battery": "low", "battery_level": "10", "battery_charging": "no"}
    assert battery_view(parts) == BatteryView(level=10, charging=False, low=True)
    assert battery_view({"camera": "ok"}) is None  # a stationary terminal
    assert battery_view({"battery": "missing"}) is None
    assert battery_of({"battery": "ok", "battery_level": "x", "battery_charging": "?"}) == (
        BatteryState(present=True, level=None, charging=None)
    )


def test_the_fake_battery_and_the_config_choice(tmp_path: Path) -> None:
    fake = FakePower()
    fake.set(15, charging=True)
    assert fake.read().parts()["battery"] == "low"
    fake.unplug()
    assert fake.read().parts() == {"battery": "missing"}
    assert create_power("none") is None
    assert isinstance(create_power("sysfs", root=tmp_path), SysfsPower)
    with pytest.raises(ConfigError):
        create_power("solar")


# --- modem ----------------------------------------------------------------------------------


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


@pytest.mark.parametrize(
    ("name", "expected", "parts"),
    [
        ("connected-lte.json",
         ModemState(present=True, state="connected", signal=67, access="lte",
                    operator="Telekom.de"),
         {"modem": "ok", "modem_signal": "70", "modem_access": "lte",
          "modem_operator": "Telekom.de"}),
        ("nsa-5g.json",
         ModemState(present=True, state="connected", signal=48, access="5gnr",
                    operator="Vodafone.de"),
         {"modem": "ok", "modem_signal": "50", "modem_access": "5gnr",
          "modem_operator": "Vodafone.de"}),
        ("weak-umts.json",
         ModemState(present=True, state="registered", signal=13, access="hsdpa",
                    operator="o2 - de"),
         {"modem": "weak", "modem_signal": "10", "modem_access": "hsdpa",
          "modem_operator": "o2 - de"}),
        ("searching.json",
         ModemState(present=True, state="searching", signal=0),
         {"modem": "no_network", "modem_signal": "0"}),
        ("sim-locked.json",
         ModemState(present=True, state="locked", signal=0),
         {"modem": "failed", "modem_signal": "0"}),
        ("no-sim.json",
         ModemState(present=True, state="failed", signal=0),
         {"modem": "failed", "modem_signal": "0"}),
    ],
)  # fmt: skip
def test_recorded_mmcli_samples(name: str, expected: ModemState, parts: dict[str, str]) -> None:
    state = parse_modem(sample(name))
    assert state == expected
    assert state.parts() == parts


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        "[]",
        '{"modem": null}',
        '{"modem": {"generic": "connected"}}',
    ],
)
def test_unreadable_descriptions_are_failed(text: str) -> None:
    assert parse_modem(text).parts() == {"modem": "failed"}


def test_missing_and_odd_fields_are_unknown() -> None:
    state = parse_modem('{"modem": {"generic": {"state": "connected"}}}')
    assert state == ModemState(present=True, state="connected")
    assert state.parts() == {"modem": "ok"}
    odd = parse_modem(
        '{"modem": {"3gpp": {"operator-name": "Netz\\u0007Name' + "x" * 80 + '"},'
        ' "generic": {"state": "registered", "signal-quality": {"value": "101"},'
        ' "access-technologies": "umts, lte", "extra": [1, 2]}}}'
    )
    assert odd.signal is None and odd.access == "lte"
    assert odd.operator is not None and len(odd.operator) == 40 and "\x07" not in odd.operator
    assert parse_modem('{"modem": {"generic": {"state": "connected",'
                       ' "signal-quality": 55, "access-technologies": [7, "--"]}}}') == (
        ModemState(present=True, state="connected", signal=55)
    )  # fmt: skip


def test_modem_lists() -> None:
    assert modem_paths(sample("list.json")) == ["/org/freedesktop/ModemManager1/Modem/0"]
    assert modem_paths(sample("list-empty.json")) == []
    assert modem_paths("garbage") == []
    assert modem_paths('{"modem-list": "nope"}') == []
    assert modem_paths('{"modem-list": [3, "relative/path"]}') == []


def fake_mmcli(tmp_path: Path, listing: str, described: str, exit_code: int = 0) -> Path:
    """A stand-in for mmcli printing recorded samples, as the real one is called."""
    script = tmp_path / "mmcli"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{tmp_path}/calls"\n'
        f"if [ {exit_code} -ne 0 ]; then echo \"error: couldn't find the ModemManager process"
        f' in the bus" >&2; exit {exit_code}; fi\n'
        f'case "$2" in -L) cat "{SAMPLES / listing}" ;; -m) cat "{SAMPLES / described}" ;; esac\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


async def test_mmcli_is_run_for_the_list_and_the_first_modem(tmp_path: Path) -> None:
    modem = MmcliModem(str(fake_mmcli(tmp_path, "list.json", "connected-lte.json")))
    assert modem.state().parts() == {"modem": "missing"}  # before the first refresh
    state = await modem.refresh()
    assert state.health == "ok" and modem.state() is state and state.operator == "Telekom.de"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == ["-J -L", "-J -m /org/freedesktop/ModemManager1/Modem/0"]


async def test_no_modem_no_mmcli_or_no_modemmanager_is_missing(tmp_path: Path) -> None:
    unplugged = MmcliModem(str(fake_mmcli(tmp_path, "list-empty.json", "connected-lte.json")))
    assert (await unplugged.refresh()).parts() == {"modem": "missing"}
    absent = MmcliModem(str(tmp_path / "not-installed"))
    assert (await absent.refresh()).parts() == {"modem": "missing"}
    down_dir = tmp_path / "down"
    down_dir.mkdir()
    down = MmcliModem(str(fake_mmcli(down_dir, "list.json", "connected-lte.json", exit_code=1)))
    assert (await down.refresh()).parts() == {"modem": "missing"}


async def test_a_kit_reports_both_and_a_stationary_terminal_neither(tmp_path: Path) -> None:
    supply(tmp_path, "BAT0", type="Battery", capacity="55", status="Charging")
    modem = FakeModem()
    kit = KitParts(SysfsPower(tmp_path), modem)
    await kit.refresh()
    assert kit.parts() == {
        "battery": "ok", "battery_level": "55", "battery_charging": "yes",
        "modem": "ok", "modem_signal": "70", "modem_access": "lte", "modem_operator": "Telekom.de",
    }  # fmt: skip
    modem.unplug()
    pull_out(tmp_path)
    await kit.refresh()
    assert kit.parts() == {"battery": "missing", "modem": "missing"}
    assert KitParts(None, None).parts() == {}
    waiting = asyncio.create_task(KitParts(None, None).run())
    await asyncio.sleep(0.05)
    assert not waiting.done()  # nothing to poll: it waits until cancelled
    waiting.cancel()


async def test_a_reader_that_raises_does_not_stop_the_loop(tmp_path: Path) -> None:
    class Broken:
        def read(self) -> BatteryState:
            raise RuntimeError("driver went away")

    kit = KitParts(Broken(), None)
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) == 2:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await kit.run(sleep)
    assert len(slept) == 2 and kit.parts() == {"battery": "missing"}


def test_config_keys(tmp_path: Path) -> None:
    assert create_modem("none") is None
    with pytest.raises(ConfigError):
        create_modem("carrier-pigeon")
    defaults = load_config(None, env={})
    assert (defaults.power, defaults.modem) == ("none", "none")  # stationary by default
    path = tmp_path / "terminal.toml"
    path.write_text(
        f'[terminal]\npower = "sysfs"\nmodem = "mmcli"\npower_supply_dir = "{tmp_path}"\n'
    )
    kit = load_config(path, env={"BT_TERMINAL_MMCLI": "/usr/local/bin/mmcli"})
    assert (kit.power, kit.modem, kit.power_supply_dir, kit.mmcli) == (
        "sysfs", "mmcli", tmp_path, "/usr/local/bin/mmcli",
    )  # fmt: skip
    with pytest.raises(ConfigError, match="power"):
        load_config(None, env={"BT_TERMINAL_POWER": "diesel"})
    with pytest.raises(ConfigError, match="modem"):
        load_config(None, env={"BT_TERMINAL_MODEM": "isdn"})
