"""The image's firewall: the ruleset loads, and inbound traffic is dropped but for the few holes.

``nft -c`` checks the file against the kernel's nf_tables in a private network namespace
(nothing changes on this machine); the listing shows the policy the terminal boots with.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "image/layer/etc/nftables.conf"


def nft(*args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("nft") or "/usr/sbin/nft"
    return subprocess.run(
        ["unshare", "--net", "sh", "-c", f"{exe} -f {RULES} && {exe} {' '.join(args)}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_ruleset_loads_and_drops_inbound_by_default() -> None:
    done = nft("list", "ruleset")
    assert done.returncode == 0, done.stderr
    listing = done.stdout
    input_chain = listing.split("chain input", 1)[1].split("chain forward", 1)[0]
    assert "policy drop" in input_chain
    assert "ct state established,related accept" in input_chain
    assert "tcp dport 22 accept" in input_chain  # sshd only runs with a configured key
    opened = [line.strip() for line in input_chain.splitlines() if "dport" in line]
    assert len(opened) == 3, opened  # DHCP, SSH, ICE: nothing else listens
    forward = listing.split("chain forward", 1)[1].split("chain output", 1)[0]
    assert "policy drop" in forward
