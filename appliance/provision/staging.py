"""/data/config built in a staging directory and swapped in whole.

Everything that reads the import looks only at /data/config/imported.json, which is
written last into the staging directory /data/config.new. The swap renames the current
/data/config to /data/config.old, the staging directory to /data/config, fsyncs /data and
only then removes the old one. A power cut leaves one of these states, and
:func:`recover` (run before every import) turns each back into "old config" or "new config":

- config.new present: an unfinished staging directory; removed.
- config missing, config.old present: cut between the two renames; config.old goes back.
- config and config.old present: cut before the old one was removed; removed now.

Files in /data/config that the import does not write (say notes put there by hand)
are carried over into the new one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.config import load_config
from appliance.files import fsync_dir
from appliance.provision.bootconfig import BootConfig
from appliance.provision.disk import Disk
from appliance.provision.network import KEYFILE_NAME, render_keyfile
from appliance.provision.tomlwrite import dumps

MARKER = "imported.json"
TERMINAL_TOML = "terminal.toml"
CA_FILE = "ca.pem"
"""Read by bt-update (appliance/update/install.py) besides the OS's CAs."""
OWNED = (TERMINAL_TOML, "network", "localtime", "timezone", "wifi-country", "ssh", CA_FILE, MARKER)
ZONEINFO = Path("/usr/share/zoneinfo")


@dataclass(frozen=True)
class Layout:
    """Where the import writes, under the persistent data partition (/data)."""

    data_dir: Path

    @property
    def config(self) -> Path:
        """The live config directory (/data/config)."""
        return self.data_dir / "config"

    @property
    def staging(self) -> Path:
        """The directory being built (/data/config.new)."""
        return self.data_dir / "config.new"

    @property
    def previous(self) -> Path:
        """The config being replaced, until the swap is done (/data/config.old)."""
        return self.data_dir / "config.old"

    @property
    def terminal_dir(self) -> Path:
        """The daemon's data_dir with the credential (/data/terminal)."""
        return self.data_dir / "terminal"

    @property
    def marker(self) -> Path:
        """The commit point (/data/config/imported.json)."""
        return self.config / MARKER


def layout_for(data_dir: Path) -> Layout:
    """The layout under ``data_dir`` made absolute (terminal.toml names it for the daemon)."""
    return Layout(Path(os.path.abspath(data_dir)))


def recover(layout: Layout, disk: Disk) -> None:
    """Finish or undo a swap that a power cut interrupted (see the module docstring)."""
    if not layout.data_dir.is_dir():
        return
    disk.remove_tree(layout.staging)
    if layout.previous.exists():
        if layout.config.exists():
            disk.remove_tree(layout.previous)
        else:
            disk.rename(layout.previous, layout.config)


def read_marker(layout: Layout) -> dict[str, Any] | None:
    """The last committed import's record, or None if there is none."""
    try:
        data = json.loads(layout.marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def terminal_toml(config: BootConfig, terminal_dir: Path) -> str:
    """The daemon's config file: console_url, data_dir and the [terminal] keys."""
    values = {"console_url": config.console_url, "data_dir": str(terminal_dir), **config.terminal}
    header = "# Written by bt-firstboot from buergerterminal.toml; edit that file instead.\n"
    return header + dumps(values)


def stage(
    layout: Layout,
    config: BootConfig,
    marker: dict[str, Any],
    disk: Disk,
    zoneinfo: Path = ZONEINFO,
) -> None:
    """Build the complete new config in the staging directory, the marker last."""
    if not layout.data_dir.is_dir():
        disk.mkdir(layout.data_dir)
    disk.remove_tree(layout.staging)
    new = layout.staging
    disk.mkdir(new)
    disk.write(new / TERMINAL_TOML, terminal_toml(config, layout.terminal_dir).encode())
    load_config(new / TERMINAL_TOML, env={})  # what the daemon will read must load
    if config.wifi is not None:
        disk.mkdir(new / "network", 0o700)
        disk.write(new / "network" / KEYFILE_NAME, render_keyfile(config.wifi).encode(), 0o600)
        disk.write(new / "wifi-country", f"{config.wifi.country}\n".encode())
    disk.symlink(str(zoneinfo / config.timezone), new / "localtime")
    disk.write(new / "timezone", f"{config.timezone}\n".encode())
    if config.ssh_keys:
        disk.mkdir(new / "ssh", 0o700)
        keys = "".join(key + "\n" for key in config.ssh_keys)
        disk.write(new / "ssh" / "authorized_keys", keys.encode(), 0o600)
    if config.ca_certificates:
        disk.write(new / CA_FILE, config.ca_certificates.encode(), 0o644)
    if layout.config.is_dir():
        for entry in sorted(layout.config.iterdir()):
            if entry.name not in OWNED and entry.is_file() and not entry.is_symlink():
                disk.copy(entry, new / entry.name)
    disk.write(new / MARKER, (json.dumps(marker, indent=2) + "\n").encode())
    fsync_dir(new)


def swap(layout: Layout, disk: Disk) -> None:
    """Make the staging directory /data/config by rename, keeping the old one until done."""
    if layout.config.exists():
        disk.rename(layout.config, layout.previous)
    disk.rename(layout.staging, layout.config)
    fsync_dir(layout.data_dir)
    disk.remove_tree(layout.previous)
