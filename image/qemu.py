"""Booting the CI image under ``qemu-system-aarch64 -M virt`` (software emulation, no KVM).

One :class:`Machine` is one card in one terminal: every :meth:`Machine.boot` asks the
simulated firmware (image/firmware.py) which slot to start, like a power-on. ``-no-reboot``
turns a reboot into QEMU exiting, so the next boot goes through the firmware again; an
``i6300esb`` stands in for the Pi's watchdog. SSH (only there when buergerterminal.toml gave
a key) is forwarded to a port on 127.0.0.1; the guest reaches the host's 127.0.0.1 as 10.0.2.2.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from image.firmware import BootChoice, choose

GUEST_HOST = "10.0.2.2"
"""The host's 127.0.0.1 as seen from the guest (QEMU user networking)."""


class Machine:
    """A QEMU arm64 virt machine booting ``disk`` through the simulated firmware."""

    def __init__(
        self, disk: Path, workdir: Path, ssh_port: int, ssh_key: Path, memory_mib: int = 2048
    ) -> None:
        self.disk, self.workdir, self.ssh_port, self.ssh_key = disk, workdir, ssh_port, ssh_key
        self.memory_mib = memory_mib
        self.proc: subprocess.Popen[bytes] | None = None
        self.boots = 0
        self.serial = workdir / "serial-0.log"
        self.choice: BootChoice | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    def boot(self) -> BootChoice:
        """Power on: the firmware picks the slot, QEMU starts it."""
        if self.running:
            raise RuntimeError("already running")
        self.boots += 1
        self.serial = self.workdir / f"serial-{self.boots}.log"
        self.choice = choose(self.disk, self.workdir)
        cmd = [
            "qemu-system-aarch64",
            "-M",
            "virt",
            "-cpu",
            "cortex-a72",
            "-smp",
            "2",
            "-m",
            str(self.memory_mib),
            "-no-reboot",
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            f"file:{self.serial}",
            "-kernel",
            str(self.choice.kernel),
            "-initrd",
            str(self.choice.initrd),
            "-append",
            self.choice.cmdline,
            "-drive",
            f"file={self.disk},format=raw,if=none,id=card,cache=writeback",
            "-device",
            "virtio-blk-pci,drive=card",
            "-netdev",
            f"user,id=net,hostfwd=tcp:127.0.0.1:{self.ssh_port}-:22",
            "-device",
            "virtio-net-pci,netdev=net",
            "-object",
            "rng-random,filename=/dev/urandom,id=rng",
            "-device",
            "virtio-rng-pci,rng=rng",
            "-device",
            "i6300esb",
            "-action",
            "watchdog=reset",
        ]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
        return self.choice

    @property
    def running(self) -> bool:
        """Whether QEMU is still running."""
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        """Everything the serial console printed this boot."""
        try:
            return self.serial.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, timeout_s: float) -> re.Match[str]:
        """Wait until the serial log matches ``pattern``; TimeoutError with the log's end."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        while time.monotonic() < deadline:
            found = regex.search(self.log())
            if found:
                return found
            if not self.running:
                break
            time.sleep(0.5)
        raise TimeoutError(f"serial log never matched {pattern!r}:\n{self.log()[-3000:]}")

    def ssh(self, command: str, timeout_s: float = 60) -> subprocess.CompletedProcess[str]:
        """Run ``command`` as root in the guest over SSH."""
        return subprocess.run(
            [
                "ssh",
                "-i",
                str(self.ssh_key),
                "-p",
                str(self.ssh_port),
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=10",
                "-o",
                "LogLevel=ERROR",
                "root@127.0.0.1",
                command,
            ],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )

    def wait_ssh(self, timeout_s: float) -> None:
        """Wait until SSH answers."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"QEMU exited while waiting for SSH:\n{self.log()[-3000:]}")
            try:
                if self.ssh("true", timeout_s=30).returncode == 0:
                    return
            except subprocess.TimeoutExpired:
                pass
            time.sleep(2)
        raise TimeoutError(f"no SSH within {timeout_s} s:\n{self.log()[-3000:]}")

    def wait_exit(self, timeout_s: float) -> int:
        """Wait for the guest to power off or reboot (QEMU exits with -no-reboot)."""
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def pull_plug(self) -> None:
        """Kill QEMU at once: the power cut."""
        if self.proc is not None and self.running:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def shutdown(self) -> None:
        """Stop the machine however it is (tests' cleanup)."""
        self.pull_plug()
