"""Real PC/SC for tests: pcscd with vsmartcard's vpcd reader, and a virtual card for it.

:class:`Pcscd` starts Debian's ``pcscd --foreground`` with its own reader configuration
(the vpcd driver on a free TCP port) and stops it. pcscd 1.9.9 always serves
``/run/pcscd/pcscd.comm``; where the machine allows it (root with CAP_SYS_ADMIN, as here
and in CI containers started privileged), pcscd runs in a private mount namespace with a
temporary directory bound over /run/pcscd, so a pcscd of the host is never touched.
Otherwise it serves the real /run/pcscd and the test directory is a symlink to it.
Clients find the socket through ``PCSCLITE_CSOCK_NAME``, which libpcsclite reads once
per process: :data:`SOCKET` is set by ``tests/appliance/conftest.py`` before any test runs.

:class:`VirtualCard` speaks vpcd's socket protocol from the card's side: connecting is
inserting the card, closing the socket is removing it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

SOCKET_DIR = Path(tempfile.gettempdir()) / f"bt-test-pcscd-{os.getpid()}"
SOCKET = SOCKET_DIR / "pcscd.comm"
DRIVER = Path("/usr/lib/pcsc/drivers/serial/libifdvpcd.so")
RUN_DIR = Path("/run/pcscd")


def _can_isolate() -> bool:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        return False
    probe = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "true"], capture_output=True
    )
    return probe.returncode == 0


def free_port_pair() -> int:
    """A TCP port p with p and p+1 free (vpcd opens two readers on consecutive ports)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of TCP ports")


class Pcscd:
    """One pcscd process serving the vpcd reader on ``port``; start and stop at will."""

    def __init__(self, workdir: Path, port: int) -> None:
        missing = [
            name
            for name, ok in (
                ("pcscd (Debian package pcscd)", shutil.which("pcscd") is not None),
                ("vpcd driver (Debian package vsmartcard-vpcd)", DRIVER.exists()),
            )
            if not ok
        ]
        if missing:
            raise AssertionError(f"real PC/SC tests need {', '.join(missing)}: see the Makefile")
        self.port = port
        self.workdir = workdir
        self.config = workdir / "reader.conf.d"
        self.config.mkdir(parents=True, exist_ok=True)
        (self.config / "vpcd").write_text(
            f'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:0x{port:X}\n'
            f"LIBPATH {DRIVER}\nCHANNELID 0x{port:X}\n"
        )
        self.isolated = _can_isolate()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / "pcscd.log"
        self.starts = 0

    def start(self, timeout: float = 10.0) -> None:
        """Start pcscd and wait until it says it is ready."""
        assert self.process is None
        self.starts += 1
        log = self.workdir / f"pcscd-{self.starts}.log"
        self.log = log
        command = ["pcscd", "--foreground", "--debug", "-c", str(self.config)]
        if self.isolated:
            SOCKET_DIR.mkdir(parents=True, exist_ok=True)
            RUN_DIR.mkdir(parents=True, exist_ok=True)
            command = [
                "unshare", "--mount", "--propagation", "private", "sh", "-c",
                f'mount --bind "{SOCKET_DIR}" {RUN_DIR} && exec "$@"', "sh", *command,
            ]  # fmt: skip
        else:
            if (RUN_DIR / "pcscd.comm").exists():
                raise AssertionError(
                    f"another pcscd serves {RUN_DIR} and this machine cannot isolate ours "
                    "(unshare --mount not permitted): stop it first"
                )
            if not SOCKET_DIR.is_symlink():
                SOCKET_DIR.parent.mkdir(parents=True, exist_ok=True)
                SOCKET_DIR.symlink_to(RUN_DIR)
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while b"daemon ready" not in log.read_bytes():
            if self.process.poll() is not None:
                self.process = None
                raise AssertionError(f"pcscd exited at start:\n{log.read_text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"pcscd not ready within {timeout} s:\n{log.read_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop pcscd (SIGTERM, then SIGKILL after 5 s)."""
        process, self.process = self.process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


class VirtualCard:
    """A card in the vpcd reader: answers power, reset and ATR requests; refuses APDUs."""

    def __init__(self, port: int, atr: bytes | str) -> None:
        self.port = port
        self.atr = bytes.fromhex(atr.replace(" ", "")) if isinstance(atr, str) else atr
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def insert(self, timeout: float = 10.0) -> None:
        """Connect to the reader (retrying while pcscd starts)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", self.port), timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.settimeout(None)
        self._sock = sock
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()

    def remove(self) -> None:
        """Pull the card: close the socket."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(5)

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                header = _recv_exact(sock, 2)
                (length,) = struct.unpack(">H", header)
                message = _recv_exact(sock, length)
                if length == 1:
                    if message[0] == 4:  # get ATR
                        sock.sendall(struct.pack(">H", len(self.atr)) + self.atr)
                    continue  # 0 power off, 1 power on, 2 reset: no answer
                self.apdus.append(message)
                reply = bytes.fromhex("6A82")  # file not found: we hold no data
                sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            return


def _recv_exact(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionResetError("reader closed the connection")
        data += chunk
    return data
