"""The project layer put onto a base root: files, units, users, the appliance's venv, initramfs.

Everything that makes a Debian (or Raspberry Pi OS) root a Bürgerterminal happens here, the
same for every target. The result is a directory ready for the disk (image/disk.py).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

from image.chroot import Chroot, ImageBuildError, mounted
from image.targets import IMAGE_DIR, Target

log = logging.getLogger(__name__)

REPO = IMAGE_DIR.parent
VENV = "/opt/buergerterminal/.venv"
UNITS = (
    "bt-machine-id.service",
    "bt-root-check.service",
    "bt-firstboot.service",
    "bt-terminal.service",
    "bt-kiosk.service",
    "bt-update-confirm.service",
    "bt-update.path",
    "bt-update.service",
)
ENABLE = (
    *UNITS,  # every unit of the project's own; bt-kiosk and ssh skip themselves by condition
    "nftables.service",
    "ssh.service",
    "systemd-timesyncd.service",
    "NetworkManager.service",
    "pcscd.socket",
    "cups.service",
)
MASK = ("apt-daily.timer", "apt-daily-upgrade.timer", "man-db.timer", "e2scrub_reap.service")
GROUPS = ("gpio", "video", "audio", "render", "input", "plugdev", "lp")
LINKS = {
    "etc/buergerterminal/terminal.toml": "/data/config/terminal.toml",
    "etc/localtime": "/data/config/localtime",
    "var/log/journal": "/data/journal",
}


def extract(base_tar: Path, root: Path) -> None:
    """Unpack the cached base root into an empty ``root``."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    subprocess.run(
        ["tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "-xpf", str(base_tar)],
        cwd=root,
        check=True,
    )


def apply_layer(
    root: Path, target: Target, wheel: Path, version: str, pip_cache: Path, keyring: Path
) -> None:
    """Put the project layer onto the extracted base root at ``root``."""
    shutil.copytree(IMAGE_DIR / "layer", root, dirs_exist_ok=True, symlinks=True)
    for unit in UNITS:
        shutil.copy2(REPO / "systemd" / unit, root / "etc/systemd/system" / unit)
    (root / "etc/buergerterminal").mkdir(parents=True, exist_ok=True)
    (root / "etc/buergerterminal/version").write_text(version + "\n")
    shutil.copy2(keyring, root / "etc/rauc/keyring.pem")
    for where in ("boot/config", "data"):
        (root / where).mkdir(parents=True, exist_ok=True)
    for link, dest in LINKS.items():
        path = root / link
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(dest)
    pip_cache.mkdir(parents=True, exist_ok=True)
    with mounted(root, [(pip_cache, "/root/.cache/pip")]) as chroot:
        _users(chroot)
        _venv(chroot, root, wheel)
        _initramfs(chroot)
    _identity(root)
    _units(root)
    _trim(root)


def _users(chroot: Chroot) -> None:
    for group in GROUPS:
        chroot.run("groupadd", "-f", "--system", group)
    chroot.shell(
        "id bt-terminal >/dev/null 2>&1 || useradd --system --user-group --no-create-home"
        " --home-dir /nonexistent --shell /usr/sbin/nologin bt-terminal\n"
        "id bt-kiosk >/dev/null 2>&1 || useradd --system --user-group --no-create-home"
        " --home-dir /run/bt-kiosk --shell /usr/sbin/nologin bt-kiosk\n"
        "passwd -l root >/dev/null\n"
    )


def _venv(chroot: Chroot, root: Path, wheel: Path) -> None:
    """The appliance in a venv that also sees the OS's python3-picamera2, -systemd, -pyscard."""
    staged = root / "tmp" / wheel.name
    shutil.copy2(wheel, staged)
    # pip inside the root trusts what this build machine trusts (a company proxy's CA, say);
    # the bundle is used for the download only and is not left in the image.
    host_ca = root / "tmp/build-host-ca.crt"
    shutil.copy2(_host_ca_bundle(), host_ca)
    try:
        chroot.run("python3", "-m", "venv", "--system-site-packages", VENV)
        chroot.run(
            f"{VENV}/bin/pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"/tmp/{wheel.name}",
            env={"PIP_CERT": "/tmp/build-host-ca.crt"},
        )
    finally:
        staged.unlink(missing_ok=True)
        host_ca.unlink(missing_ok=True)
    chroot.run(f"{VENV}/bin/python", "-c", "import appliance.daemon, systemd.daemon, smartcard")


def _host_ca_bundle() -> Path:
    for candidate in (os.environ.get("PIP_CERT"), os.environ.get("SSL_CERT_FILE")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return Path("/etc/ssl/certs/ca-certificates.crt")


def _initramfs(chroot: Chroot) -> None:
    kernels = chroot.run("ls", "/lib/modules").split()
    if not kernels:
        raise ImageBuildError("the base root has no kernel in /lib/modules")
    for version in kernels:
        (chroot.root / f"boot/initrd.img-{version}").unlink(missing_ok=True)
        chroot.run("update-initramfs", "-c", "-k", version)
        listing = chroot.run("lsinitramfs", f"/boot/initrd.img-{version}")
        for needed in ("usr/bin/busybox", "scripts/init-bottom/overlayroot"):
            if needed not in listing and needed.replace("usr/", "", 1) not in listing:
                raise ImageBuildError(
                    f"initramfs for {version} lacks {needed}: the root would boot writable"
                )


def _identity(root: Path) -> None:
    """Nothing that must differ per terminal stays in the image."""
    (root / "etc/machine-id").write_text("")
    (root / "var/lib/dbus/machine-id").unlink(missing_ok=True)
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()


def _units(root: Path) -> None:
    systemctl = ["systemctl", f"--root={root}"]
    subprocess.run([*systemctl, "enable", *ENABLE], check=True, capture_output=True)
    subprocess.run([*systemctl, "mask", *MASK], check=True, capture_output=True)
    subprocess.run([*systemctl, "set-default", "graphical.target"], check=True, capture_output=True)


def _trim(root: Path) -> None:
    for pattern in (
        "var/lib/apt/lists/*",
        "var/cache/apt/*.bin",
        "var/cache/apt/archives/*.deb",
        "var/log/*.log",
        "tmp/*",
    ):
        for path in root.glob(pattern):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    os.sync()
