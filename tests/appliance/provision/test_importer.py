"""The import against a real console: files written, code removed, idempotent, refusals."""

from __future__ import annotations

import json
import os
import stat
import tomllib
from pathlib import Path

from appliance.config import load_config
from appliance.credentials import Enrollment, load_credential, save_enrollment
from appliance.errors import EnrollmentError
from appliance.provision.bootconfig import BootConfig
from appliance.provision.importer import ImportResult, import_boot_config
from console.enroll import Enroller
from tests.appliance.provision.conftest import NewCode
from tests.appliance.provision.keys import public_key
from tests.console.conftest import RunningConsole

KEY = public_key()


def boot_text(console: RunningConsole, code: str | None, extra: str = "") -> str:
    lines = ["# Terminal im Rathaus Aldorf", f'console_url = "{console.base}"']
    if code is not None:
        lines.append(f'enrollment_code = "{code}"')
    lines += [
        'terminal_name = "Eingang"',
        'timezone = "Europe/Berlin"',
        f'ssh_key = "{KEY}"',
        "",
        "[wifi]",
        'ssid = "Rathaus-Gast"',
        'psk = "geheim-123"',
        "",
        "[terminal]",
        'camera = "auto"',
        "kiosk_port = 8090",
    ]
    return "\n".join(lines) + "\n" + extra


class Syncs:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> None:
        self.count += 1


async def run(boot: Path, data: Path, **kwargs: object) -> ImportResult:
    kwargs.setdefault("sync", Syncs())
    return await import_boot_config(boot, data, **kwargs)  # type: ignore[arg-type]


def names(path: Path) -> list[str]:
    """The sorted names in a directory."""
    return sorted(p.name for p in path.iterdir())


def snapshot(root: Path) -> dict[str, object]:
    """Every path under ``root`` with its content (or link target) and mode."""
    out: dict[str, object] = {}
    if not root.exists():
        return out
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = ("link", os.readlink(path))
        elif path.is_file():
            out[rel] = (path.read_bytes(), stat.S_IMODE(path.stat().st_mode))
        else:
            out[rel] = ("dir", stat.S_IMODE(path.stat().st_mode))
    return out


async def test_first_import(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path
) -> None:
    code = await new_code()
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, code))
    syncs = Syncs()
    result = await run(boot_dir, data_dir, sync=syncs)
    assert result.status == "imported", result
    summary = "\n".join(result.summary)
    assert "Rathaus-Gast" in summary and "geheim" not in summary and code not in summary
    # the credential works against the console
    credential = load_credential(data_dir / "terminal")
    terminal_id = credential.split(".")[0]
    record = await console.store.terminal(terminal_id)
    assert record is not None and record.enrolled_at is not None
    cfg = data_dir / "config"
    daemon = load_config(cfg / "terminal.toml", env={})
    assert (daemon.console_url, daemon.data_dir) == (console.base, data_dir / "terminal")
    assert (daemon.camera, daemon.kiosk_port) == ("auto", 8090)
    keyfile = cfg / "network" / "buergerterminal-wifi.nmconnection"
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    assert "psk=geheim-123" in keyfile.read_text()
    assert os.readlink(cfg / "localtime") == "/usr/share/zoneinfo/Europe/Berlin"
    assert (cfg / "timezone").read_text() == "Europe/Berlin\n"
    assert (cfg / "wifi-country").read_text() == "DE\n"
    keys = cfg / "ssh" / "authorized_keys"
    assert keys.read_text() == KEY + "\n" and stat.S_IMODE(keys.stat().st_mode) == 0o600
    marker = json.loads((cfg / "imported.json").read_text())
    assert marker["terminal_id"] == terminal_id and marker["terminal_name"] == "Eingang"
    assert len(marker["source_sha256"]) == 64
    assert code not in json.dumps(marker) and credential not in json.dumps(marker)
    assert names(data_dir) == ["config", "terminal"]
    # the code is gone from the boot partition, everything else kept, and synced
    boot = (boot_dir / "buergerterminal.toml").read_text()
    assert code not in boot and "enrollment_code" not in boot
    assert boot.splitlines()[0].startswith("# bt-firstboot: imported on ")
    assert boot.splitlines()[1:] == [
        line for line in boot_text(console, code).splitlines() if "enrollment_code" not in line
    ]
    assert syncs.count == 1
    assert names(boot_dir) == ["buergerterminal.toml"]
    # a second run (every boot) changes nothing
    before = snapshot(data_dir), boot
    again = await run(boot_dir, data_dir)
    assert again.status == "already"
    assert (snapshot(data_dir), (boot_dir / "buergerterminal.toml").read_text()) == before


async def test_invalid_file_writes_nothing(
    console: RunningConsole, boot_dir: Path, data_dir: Path
) -> None:
    text = boot_text(console, "K7PM-Q3XD-9HTW").replace('"geheim-123"', '"kurz"')
    (boot_dir / "buergerterminal.toml").write_text(text + "farbe = 1\n")
    result = await run(boot_dir, data_dir)
    assert result.status == "invalid" and not result.ok
    assert {p.key for p in result.problems} == {"wifi.psk", "terminal.farbe"}
    assert snapshot(data_dir) == {}
    assert (boot_dir / "buergerterminal.toml").read_text() == text + "farbe = 1\n"


async def test_refused_code_is_reported(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path
) -> None:
    code = await new_code()
    await Enroller(console.store).redeem(code)  # used elsewhere already
    text = boot_text(console, code)
    (boot_dir / "buergerterminal.toml").write_text(text)
    result = await run(boot_dir, data_dir)
    assert result.status == "refused"
    [problem] = result.problems
    assert problem.key == "enrollment_code" and "already used" in problem.fix
    assert "new code" in problem.fix
    assert snapshot(data_dir) == {}
    assert (boot_dir / "buergerterminal.toml").read_text() == text
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, "AAAA-BBBB-CCCC"))
    result = await run(boot_dir, data_dir)
    assert result.status == "refused" and "not known" in result.problems[0].fix


async def test_existing_credential_skips_enrolling(
    console: RunningConsole, boot_dir: Path, data_dir: Path
) -> None:
    # a power cut after enrolling: the credential is there, the code already used
    save_enrollment(data_dir / "terminal", Enrollment("t9", "t9.secret", "Alt", "Aldorf"))
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, "USED-USED-USED"))
    result = await run(boot_dir, data_dir)
    assert result.status == "imported", result
    assert load_credential(data_dir / "terminal") == "t9.secret"
    assert json.loads((data_dir / "config" / "imported.json").read_text())["terminal_id"] == "t9"
    assert "USED" not in (boot_dir / "buergerterminal.toml").read_text()
    # and without any code in the file (enrolled by hand with bt-terminal enroll)
    other = boot_dir.parent / "data2"
    save_enrollment(other / "terminal", Enrollment("t8", "t8.secret", "Alt", "Aldorf"))
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, None))
    assert (await run(boot_dir, other)).status == "imported"


async def test_missing_file(boot_dir: Path, data_dir: Path) -> None:
    result = await run(boot_dir, data_dir)
    assert result.status == "missing"
    assert "put buergerterminal.toml on the boot partition" in result.problems[0].fix
    (data_dir / "config").mkdir(parents=True)
    (data_dir / "config" / "imported.json").write_text('{"terminal_id": "t1"}')
    assert (await run(boot_dir, data_dir)).status == "already"


async def test_unreachable_console_is_retried(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path
) -> None:
    code = await new_code()
    (boot_dir / "buergerterminal.toml").write_text(boot_text(console, code))
    from appliance.credentials import enroll as real_enroll

    tries: list[str] = []
    waits: list[float] = []
    network: list[str] = []

    async def late_network(url: str, c: str) -> Enrollment:
        tries.append(url)
        if len(tries) < 3:  # the network comes up late
            return await real_enroll("http://127.0.0.1:9", c, software="t/1", timeout_s=2)
        return await real_enroll(url, c, software="t/1")

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def prepare(config: BootConfig) -> None:
        assert config.wifi is not None
        network.append(config.wifi.ssid)

    result = await run(
        boot_dir,
        data_dir,
        enroll=late_network,
        attempts=5,
        backoff_s=1.0,
        sleep=sleep,
        prepare_network=prepare,
    )
    assert result.status == "imported", result
    assert (len(tries), waits, network) == (3, [1.0, 2.0], ["Rathaus-Gast"])


async def test_console_never_reachable(boot_dir: Path, data_dir: Path) -> None:
    text = 'console_url = "http://127.0.0.1:9"\nenrollment_code = "AAAA-BBBB-CCCC"\n'
    (boot_dir / "buergerterminal.toml").write_text(text)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    result = await run(boot_dir, data_dir, attempts=8, backoff_s=10, sleep=sleep)
    assert result.status == "refused"
    assert result.problems[0].key == "console_url"
    assert "could not be reached after 8 tries" in result.problems[0].fix
    assert waits == [10, 20, 40, 60, 60, 60, 60]
    assert snapshot(data_dir) == {}


async def test_new_code_enrolls_again_and_edits_reimport(
    console: RunningConsole, new_code: NewCode, boot_dir: Path, data_dir: Path
) -> None:
    code = await new_code()
    boot = boot_dir / "buergerterminal.toml"
    boot.write_text(boot_text(console, code))
    assert (await run(boot_dir, data_dir)).status == "imported"
    (data_dir / "config" / "notes.txt").write_text("CA")  # put there by hand: carried over
    first = load_credential(data_dir / "terminal")
    # edited on a PC: new Wi-Fi password, no code: settings again, same credential
    boot.write_text(boot.read_text().replace("geheim-123", "neues-passwort"))
    assert (await run(boot_dir, data_dir)).status == "imported"
    keyfile = data_dir / "config" / "network" / "buergerterminal-wifi.nmconnection"
    assert "psk=neues-passwort" in keyfile.read_text()
    assert load_credential(data_dir / "terminal") == first
    assert (data_dir / "config" / "notes.txt").read_text() == "CA"
    # a new code for the same terminal (e.g. the credential was revoked): enrolled again
    terminal_id = first.split(".")[0]
    _, fresh = await Enroller(console.store).new_code(terminal_id, 1)
    text = boot.read_text().replace("# Terminal", f'enrollment_code = "{fresh}"\n# Terminal')
    boot.write_text(text)
    assert tomllib.loads(text)["enrollment_code"] == fresh
    assert (await run(boot_dir, data_dir)).status == "imported"
    second = load_credential(data_dir / "terminal")
    assert second != first and second.startswith(terminal_id + ".")
    assert fresh not in boot.read_text()
    assert (await run(boot_dir, data_dir)).status == "already"


async def test_enroll_errors_other_than_network_are_not_retried(
    boot_dir: Path, data_dir: Path
) -> None:
    (boot_dir / "buergerterminal.toml").write_text(
        'console_url = "https://c.example.org"\nenrollment_code = "AAAA-BBBB-CCCC"\n'
    )
    calls: list[str] = []

    async def odd(url: str, code: str) -> Enrollment:
        calls.append(code)
        raise EnrollmentError("bad_response", "the console's answer lacks a credential")

    result = await run(boot_dir, data_dir, enroll=odd, attempts=5)
    assert result.status == "refused" and len(calls) == 1
    assert "lacks a credential" in result.problems[0].fix
