"""A real coturn for the tests: ``turnserver`` in the foreground, REST-API auth.

Debian's ``coturn`` package (Makefile APT_PACKAGES) provides ``turnserver``; the fixture
starts it with ``use-auth-secret`` and a random ``static-auth-secret`` on a free port of
``listen_ip`` (127.0.0.1, or a network namespace's host side), for UDP and TCP, relaying
from the same address, loopback relays allowed (the only network a test has), no DTLS, no
CLI, its log and pid file in a temporary directory. Given a server certificate and key
(``tls``), it also listens for TURN over TLS on a second port; without, ``--no-tls``.
:func:`allocate` is a minimal TURN client (RFC 8656 Allocate with long-term credentials,
built on aioice's STUN codec) that tells whether coturn accepts a username and credential:
200, or the STUN error code (401 for a wrong or expired credential).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aioice import stun

TURNSERVER = shutil.which("turnserver") or "/usr/bin/turnserver"
REALM = "bt.test"
UDP_TRANSPORT = 0x11000000  # REQUESTED-TRANSPORT: protocol 17 (UDP) in the first byte


@dataclass(frozen=True)
class Coturn:
    """A running turnserver."""

    port: int
    secret: str
    log: Path
    host: str = "127.0.0.1"
    tls_port: int | None = None
    """The TURN-over-TLS port, when started with a certificate."""

    @property
    def url(self) -> str:
        """The TURN URL over UDP the console hands out."""
        return f"turn:{self.host}:{self.port}?transport=udp"

    @property
    def url_tcp(self) -> str:
        """The TURN URL over TCP (same port)."""
        return f"turn:{self.host}:{self.port}?transport=tcp"

    @property
    def url_tls(self) -> str:
        """The TURN URL over TLS (``turns:``); only when started with a certificate."""
        assert self.tls_port is not None, "coturn was started without TLS"
        return f"turns:{self.host}:{self.tls_port}?transport=tcp"

    def log_text(self) -> str:
        """What coturn logged so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def allocations(self) -> list[Allocation]:
        """The successful allocations coturn logged so far, with how the client came in."""
        return parse_allocations(self.log_text())


@dataclass(frozen=True)
class Allocation:
    """One TURN allocation in coturn's log."""

    username: str
    protocol: str | None
    """``tls`` (the session line names a TLS method), ``tcp`` (a session whose lines name
    TCP: its closing does), ``udp`` (a session that closed without naming TCP), or None
    while a plain session is open: coturn (verbose) names TCP only when it closes."""


_SESSION = re.compile(r"session (\d+): (.*)")
_USER = re.compile(r"new, realm=<[^>]*>, username=<([^>]*)>")


def parse_allocations(log: str) -> list[Allocation]:
    """The allocations in a coturn log (``--verbose``), oldest first."""
    users: dict[str, str] = {}
    tls: set[str] = set()
    tcp: set[str] = set()
    closed: set[str] = set()
    allocated: list[str] = []
    for line in log.splitlines():
        found = _SESSION.search(line)
        if found is None:
            continue
        session, text = found.groups()
        if (user := _USER.search(text)) is not None:
            users[session] = user.group(1)
            if "method=TLS" in text:
                tls.add(session)
        elif "ALLOCATE processed, success" in text and session not in allocated:
            allocated.append(session)
        elif "TCP" in text:  # "TCP socket closed", "reason: TCP connection closed", ...
            tcp.add(session)
        if text.startswith("closed") or text.startswith("delete"):
            closed.add(session)
    out = []
    for session in allocated:
        protocol = "tls" if session in tls else "tcp" if session in tcp else None
        if protocol is None and session in closed:
            protocol = "udp"
        out.append(Allocation(users.get(session, ""), protocol))
    return out


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A port on ``host`` that nobody uses right now, for UDP and for TCP."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind((host, port))
            except OSError:
                continue
        return port


@dataclass(frozen=True)
class TlsFiles:
    """coturn's server certificate (chain) and private key, PEM files."""

    cert: Path
    key: Path


@contextlib.contextmanager
def running_coturn(
    workdir: Path, listen_ip: str = "127.0.0.1", tls: TlsFiles | None = None
) -> Iterator[Coturn]:
    """Start turnserver, wait until it answers a STUN binding request, stop it after."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_udp_port(listen_ip)
    tls_port = free_udp_port(listen_ip) if tls is not None else None
    secret = secrets.token_hex(16)
    log = workdir / "turnserver.log"
    args = [
        TURNSERVER, "-n", f"--listening-ip={listen_ip}", f"--relay-ip={listen_ip}",
        f"--listening-port={port}", "--use-auth-secret", f"--static-auth-secret={secret}",
        f"--realm={REALM}", "--no-dtls", "--no-cli", "--allow-loopback-peers",
        "--fingerprint", "--verbose", "--simple-log", "--no-stdout-log",
        f"--log-file={log}", f"--pidfile={workdir / 'turnserver.pid'}",
        "--min-port=49152", "--max-port=65535",
    ]  # fmt: skip
    if tls is None:
        args.append("--no-tls")
    else:
        args += [f"--tls-listening-port={tls_port}", f"--cert={tls.cert}", f"--pkey={tls.key}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        _wait_until_answering(proc, port, listen_ip)
        yield Coturn(port=port, secret=secret, log=_actual_log(workdir, log), host=listen_ip,
                     tls_port=tls_port)  # fmt: skip
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _actual_log(workdir: Path, log: Path) -> Path:
    """coturn may add a date to the log file's name; find the file it really writes."""
    if log.exists():
        return log
    found = sorted(workdir.glob("turnserver*.log"))
    return found[0] if found else log


def _wait_until_answering(
    proc: subprocess.Popen[bytes], port: int, host: str, timeout: float = 10
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"turnserver exited with {proc.returncode}")
        binding = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
        if _exchange(port, binding, 0.2, host=host) is not None:
            return
    raise AssertionError("turnserver did not answer within 10 s")


def _exchange(
    port: int,
    request: stun.Message,
    timeout: float,
    sock: socket.socket | None = None,
    host: str = "127.0.0.1",
) -> stun.Message | None:
    """Send one request and read one answer (on ``sock``, or a fresh socket)."""
    with contextlib.ExitStack() as stack:
        if sock is None:
            sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.settimeout(timeout)
        sock.sendto(bytes(request), (host, port))
        try:
            data, _ = sock.recvfrom(2048)
        except TimeoutError:
            return None
    return stun.parse_message(data)


def allocate(port: int, username: str, password: str) -> int:
    """Try a TURN allocation with these credentials: 200 on success, else the error code."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        first = stun.Message(stun.Method.ALLOCATE, stun.Class.REQUEST)
        first.attributes["REQUESTED-TRANSPORT"] = UDP_TRANSPORT
        challenge = _exchange(port, first, 2.0, sock)
        assert challenge is not None, "no answer to the unauthenticated allocate"
        assert challenge.attributes["ERROR-CODE"][0] == 401, challenge  # long-term credentials
        realm, nonce = challenge.attributes["REALM"], challenge.attributes["NONCE"]
        key = hashlib.md5(f"{username}:{realm}:{password}".encode()).digest()
        request = _signed(stun.Method.ALLOCATE, username, realm, nonce, key,
                          {"REQUESTED-TRANSPORT": UDP_TRANSPORT})  # fmt: skip
        answer = _exchange(port, request, 2.0, sock)
        assert answer is not None, "no answer to the authenticated allocate"
        if answer.message_class != stun.Class.RESPONSE:
            return int(answer.attributes["ERROR-CODE"][0])
        # Free the allocation again: a refresh with lifetime 0 from the same address.
        release = _signed(stun.Method.REFRESH, username, realm, nonce, key, {"LIFETIME": 0})
        _exchange(port, release, 0.5, sock)
        return 200


def _signed(
    method: stun.Method, username: str, realm: str, nonce: bytes, key: bytes, extra: dict[str, int]
) -> stun.Message:
    """A request with long-term credentials (RFC 8489 9.2): MD5 of user:realm:password."""
    request = stun.Message(method, stun.Class.REQUEST)
    request.attributes.update(extra)
    request.attributes["USERNAME"] = username
    request.attributes["REALM"] = realm
    request.attributes["NONCE"] = nonce
    request.add_message_integrity(key)
    return request
