"""RAUC update bundles: signed with an X.509 key, holding a root and a boot image.

The signing key never lives in the repository. ``make bundle`` signs with the key and
certificate named by ``BT_BUNDLE_KEY`` and ``BT_BUNDLE_CERT``; without them a development
CA and key are created once under the image cache (good for tests and demos, not for a
fleet). The image trusts the CA in ``/etc/rauc/keyring.pem``.

The boot image is the same for both slots; RAUC's post-install hook (:data:`HOOK`) rewrites
``cmdline.txt`` on the freshly written boot partition so it names its own root and slot.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from image.targets import COMPATIBLE, PARTUUID


@dataclass(frozen=True)
class SigningKey:
    """A bundle signing key, its certificate, and the CA the image trusts."""

    key: Path
    cert: Path
    ca: Path


HOOK = f"""#!/bin/sh
# RAUC slot hook: point the boot partition just written at its own root and slot.
set -eu
case "$1" in
  slot-post-install)
    case "$RAUC_SLOT_NAME" in
      boot.0) root={PARTUUID["root_a"]}; slot=A ;;
      boot.1) root={PARTUUID["root_b"]}; slot=B ;;
      *) exit 0 ;;
    esac
    f="$RAUC_SLOT_MOUNT_POINT/cmdline.txt"
    sed -e "s/root=PARTUUID=[^ ]*/root=PARTUUID=$root/" -e "s/rauc.slot=[AB]/rauc.slot=$slot/" \\
      "$f" > "$f.new"
    mv "$f.new" "$f"
    sync
    ;;
esac
"""


def signing_key(cache: Path) -> SigningKey:
    """The key named in the environment, or a development key made once in ``cache``."""
    key, cert = os.environ.get("BT_BUNDLE_KEY"), os.environ.get("BT_BUNDLE_CERT")
    if key and cert:
        ca = os.environ.get("BT_BUNDLE_CA", cert)
        return SigningKey(Path(key), Path(cert), Path(ca))
    keys = cache / "dev-keys"
    found = SigningKey(keys / "signing.key.pem", keys / "signing.cert.pem", keys / "ca.cert.pem")
    if not found.key.exists():
        make_development_key(keys)
    return found


def make_development_key(keys: Path) -> None:
    """A CA and a signing certificate issued by it (openssl), for development bundles."""
    keys.mkdir(parents=True, exist_ok=True)
    os.chmod(keys, 0o700)
    ossl = ["openssl"]
    ext = keys / "ext.cnf"
    ext.write_text(
        "[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
    )
    subprocess.run(
        [
            *ossl,
            "req",
            "-x509",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/O=Buergerterminal development/CN=Buergerterminal development CA",
            "-keyout",
            str(keys / "ca.key.pem"),
            "-out",
            str(keys / "ca.cert.pem"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *ossl,
            "req",
            "-newkey",
            "rsa:3072",
            "-nodes",
            "-subj",
            "/O=Buergerterminal development/CN=Buergerterminal development signing",
            "-keyout",
            str(keys / "signing.key.pem"),
            "-out",
            str(keys / "signing.csr"),
        ],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *ossl,
            "x509",
            "-req",
            "-in",
            str(keys / "signing.csr"),
            "-days",
            "3650",
            "-CA",
            str(keys / "ca.cert.pem"),
            "-CAkey",
            str(keys / "ca.key.pem"),
            "-CAcreateserial",
            "-extfile",
            str(ext),
            "-extensions",
            "leaf",
            "-out",
            str(keys / "signing.cert.pem"),
        ],
        check=True,
        capture_output=True,
    )


def make_bundle(
    root_image: Path, boot_image: Path, version: str, key: SigningKey, out: Path
) -> Path:
    """Write a signed verity bundle ``out`` with the two images."""
    content = out.with_suffix(".content")
    if content.exists():
        shutil.rmtree(content)
    content.mkdir(parents=True)
    if root_image.stat().st_dev == content.stat().st_dev:
        os.link(root_image, content / "root.ext4")  # 1-2 GB: no copy when it can be linked
    else:
        shutil.copy2(root_image, content / "root.ext4")
    shutil.copy2(boot_image, content / "boot.vfat")
    (content / "hook.sh").write_text(HOOK)
    (content / "hook.sh").chmod(0o755)
    (content / "manifest.raucm").write_text(
        f"[update]\ncompatible={COMPATIBLE}\nversion={version}\n\n"
        "[bundle]\nformat=verity\n\n"
        "[hooks]\nfilename=hook.sh\n\n"
        "[image.rootfs]\nfilename=root.ext4\n\n"
        "[image.boot]\nfilename=boot.vfat\nhooks=post-install\n"
    )
    out.unlink(missing_ok=True)
    subprocess.run(
        [
            "rauc",
            "bundle",
            f"--cert={key.cert}",
            f"--key={key.key}",
            f"--keyring={key.ca}",
            str(content),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    shutil.rmtree(content)
    return out
