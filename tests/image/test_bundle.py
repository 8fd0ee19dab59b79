"""Update bundles: signed by the build, verified by RAUC against the image's keyring only."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from image.bundle import HOOK, SigningKey, make_bundle, make_development_key
from image.targets import COMPATIBLE, PARTUUID


def keys(where: Path) -> SigningKey:
    make_development_key(where)
    return SigningKey(where / "signing.key.pem", where / "signing.cert.pem", where / "ca.cert.pem")


def rauc_info(bundle: Path, keyring: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rauc", "info", f"--keyring={keyring}", "--output-format=shell", str(bundle)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_bundle_verifies_with_its_ca_and_not_with_another(tmp_path: Path) -> None:
    key = keys(tmp_path / "fleet")
    other = keys(tmp_path / "other")
    root, boot = tmp_path / "root.ext4", tmp_path / "boot.vfat"
    files = tmp_path / "files"
    files.mkdir()
    (files / "noise").write_bytes(os.urandom(64 * 1024))  # squashfs must exceed 4 KiB
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-d", str(files), str(root), "8M"], check=True)
    subprocess.run(["mkfs.vfat", "-C", str(boot), "4096"], check=True, capture_output=True)
    bundle = make_bundle(root, boot, "2.0.0", key, tmp_path / "out" / "b.raucb")

    good = rauc_info(bundle, key.ca)
    assert good.returncode == 0, good.stderr
    assert f"RAUC_MF_COMPATIBLE='{COMPATIBLE}'" in good.stdout
    assert "RAUC_MF_VERSION='2.0.0'" in good.stdout
    assert re.search(r"RAUC_IMAGE_HOOKS_\d='post-install'", good.stdout)  # the boot image's
    plain = subprocess.run(
        ["rauc", "info", f"--keyring={key.ca}", str(bundle)], capture_output=True, text=True
    )
    assert re.search(r"Bundle Format:\s+verity", plain.stdout), plain.stdout

    forged = rauc_info(bundle, other.ca)
    assert forged.returncode != 0
    assert "signature" in forged.stderr.lower() or "verif" in forged.stderr.lower()


def test_hook_points_each_boot_slot_at_its_own_root(tmp_path: Path) -> None:
    mount = tmp_path / "boot"
    mount.mkdir()
    line = f"console=tty1 root=PARTUUID={PARTUUID['root_a']} ro quiet rauc.slot=A\n"
    hook = tmp_path / "hook.sh"
    hook.write_text(HOOK)
    for slot_name, root_key, slot in (("boot.1", "root_b", "B"), ("boot.0", "root_a", "A")):
        (mount / "cmdline.txt").write_text(line)
        env = {
            "RAUC_SLOT_NAME": slot_name,
            "RAUC_SLOT_MOUNT_POINT": str(mount),
            "PATH": "/usr/bin:/bin",
        }
        subprocess.run(["sh", str(hook), "slot-post-install"], env=env, check=True)
        text = (mount / "cmdline.txt").read_text()
        assert f"root=PARTUUID={PARTUUID[root_key]} " in text
        assert text.rstrip().endswith(f"rauc.slot={slot}")
        assert "console=tty1" in text and " ro quiet " in text
