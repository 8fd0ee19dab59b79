"""The Wi-Fi from buergerterminal.toml as a NetworkManager keyfile.

NetworkManager loads ``*.nmconnection`` keyfiles only when they are owned by root and
mode 0600 (they hold the password). Values are GKeyFile strings, so backslashes and
leading or trailing spaces are escaped; an SSID that is not plain text (``;``, control
characters) is written as NetworkManager's list of byte values, which it always reads back
exactly.

A terminal on Wi-Fi can reach the console only once the Wi-Fi is up, but the import must
enroll before it writes anything to /data. So :func:`bring_up_now` puts the same keyfile in
/run (a tmpfs, gone at reboot) and asks NetworkManager to connect; the permanent copy is
written with the rest of the import, and :func:`reload_connections` then swaps the
temporary one for it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from appliance.provision.bootconfig import Wifi

log = logging.getLogger(__name__)

CONNECTION_ID = "buergerterminal-wifi"
KEYFILE_NAME = f"{CONNECTION_ID}.nmconnection"
RUN_CONNECTIONS = Path("/run/NetworkManager/system-connections")

Runner = Callable[[Sequence[str]], int]


def render_keyfile(wifi: Wifi) -> str:
    """The keyfile text: autoconnect, DHCP for IPv4 and IPv6, WPA-PSK unless open."""
    lines = [
        "[connection]",
        f"id={CONNECTION_ID}",
        f"uuid={uuid.uuid5(uuid.NAMESPACE_URL, 'buergerterminal-wifi:' + wifi.ssid)}",
        "type=wifi",
        "autoconnect=true",
        "",
        "[wifi]",
        "mode=infrastructure",
        f"ssid={ssid_value(wifi.ssid)}",
        "",
    ]
    if wifi.psk is not None:
        lines += ["[wifi-security]", "key-mgmt=wpa-psk", f"psk={escape(wifi.psk)}", ""]
    lines += ["[ipv4]", "method=auto", "", "[ipv6]", "method=auto", ""]
    return "\n".join(lines)


def ssid_value(ssid: str) -> str:
    """The SSID as text where that is unambiguous, else as ``b1;b2;...;`` byte values."""
    plain = ssid == ssid.strip() and all(ch.isprintable() and ch not in ";\\" for ch in ssid)
    if plain and not ssid.isdigit():
        return ssid
    return "".join(f"{byte};" for byte in ssid.encode("utf-8"))


def escape(value: str) -> str:
    """Escape a GKeyFile string value (backslash, control characters, outer spaces)."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
    out = out.replace("\r", "\\r")
    stripped = out.lstrip(" ")
    out = "\\s" * (len(out) - len(stripped)) + stripped
    stripped = out.rstrip(" ")
    return stripped + "\\s" * (len(out) - len(stripped))


def _run(argv: Sequence[str]) -> int:
    try:
        done = subprocess.run(  # noqa: S603 - fixed program (nmcli), no shell
            list(argv), capture_output=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        log.warning("%s failed: %s", argv[0], err)
        return 127
    if done.returncode:
        log.warning("%s: %s", " ".join(argv), done.stderr.decode(errors="replace").strip())
    return done.returncode


def bring_up_now(wifi: Wifi, *, run_dir: Path = RUN_CONNECTIONS, runner: Runner = _run) -> bool:
    """Connect to the Wi-Fi now from a keyfile in /run; False if NetworkManager failed."""
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / KEYFILE_NAME
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(render_keyfile(wifi))
    except OSError as err:
        log.warning("cannot write the temporary Wi-Fi connection: %s", err)
        return False
    if runner(["nmcli", "connection", "load", str(path)]) != 0:
        return False
    return runner(["nmcli", "--wait", "30", "connection", "up", "id", CONNECTION_ID]) == 0


def reload_connections(*, run_dir: Path = RUN_CONNECTIONS, runner: Runner = _run) -> bool:
    """After an import: drop the temporary keyfile, have NetworkManager read /data's copy."""
    try:
        (run_dir / KEYFILE_NAME).unlink(missing_ok=True)
    except OSError as err:
        log.warning("cannot remove the temporary Wi-Fi connection: %s", err)
    return runner(["nmcli", "connection", "reload"]) == 0
