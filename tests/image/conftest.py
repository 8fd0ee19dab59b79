"""Fixtures for the image tests: the built CI image, a console on the host, a QEMU machine.

Building and booting the image takes many minutes under emulation. ``BT_SKIP_IMAGE_TEST=1``
skips these tests on a developer machine (README, "Tests"); ``.ci/run`` sets
``BT_REQUIRE_IMAGE_TEST=1``, which turns such a skip into a failure, so CI always runs them.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from console.store import Store
from console.store.database import Database
from console.store.tokens import TokenStore
from image.build import BuildResult, build, bundle_from_root
from image.firmware import write_fat
from image.qemu import GUEST_HOST, Machine
from image.targets import TARGETS
from tests.appliance.update.https_server import make_pki
from tests.e2e.harness import Console, free_port, seed_console

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "var/image/qemu-test"
VERSION = "1.0.0-test"
UPDATE = "1.1.0-test"
BROKEN = "1.2.0-broken"


def _skip_requested() -> bool:
    if os.environ.get("BT_SKIP_IMAGE_TEST") != "1":
        return False
    if os.environ.get("BT_REQUIRE_IMAGE_TEST") == "1":
        pytest.fail("BT_SKIP_IMAGE_TEST=1 while BT_REQUIRE_IMAGE_TEST=1: CI never skips this")
    return True


@dataclass
class Built:
    """The built image, and its update bundles being built beside the first boots."""

    result: BuildResult
    build_s: float
    releases: Future[Releases]


@pytest.fixture(scope="session")
def built() -> Iterator[Built]:
    """The qemu target's disk image; the bundles follow in a thread.

    Building the bundles (several minutes of mksquashfs) overlaps the first boot and the
    power cut, which do not need them; the update tests wait for them (:func:`releases`).
    """
    if _skip_requested():
        pytest.skip("BT_SKIP_IMAGE_TEST=1")
    if os.geteuid() != 0:
        pytest.fail("the image build needs root (chroot, mounts); CI runs as root")
    started = time.monotonic()
    result = build(TARGETS["qemu"], OUT, VERSION)
    elapsed = time.monotonic() - started
    print(
        f"\nimage build: {elapsed:.0f} s ({result.seconds}); "
        f"disk {result.disk_bytes / 2**30:.2f} GiB"
        f" ({result.disk_allocated_bytes / 2**20:.0f} MiB allocated)"
    )
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bundles") as pool:
        yield Built(result, elapsed, pool.submit(make_releases, result))


@dataclass(frozen=True)
class Releases:
    """Two update bundles of the built image: a good release and one that cannot boot."""

    update: Path
    broken: Path


def _break_root(root: Path) -> None:
    """Leave only /etc/buergerterminal: a root without init, so the try boot panics.

    The worst case of a bad update, and small enough to download and install quickly under
    emulation. The health check's own rollback (the appliance never READY) is tested in
    tests/appliance/update/test_confirm.py.
    """
    for top in (root, root / "etc"):
        for entry in top.iterdir():
            if entry in (root / "etc", root / "etc/buergerterminal"):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()


def make_releases(result: BuildResult) -> Releases:
    """The signed bundles the console offers: 1.1.0-test, then 1.2.0-broken."""
    started = time.monotonic()
    update = bundle_from_root(result, OUT, UPDATE)
    broken = bundle_from_root(result, OUT, BROKEN, change=_break_root, size_mib=64)
    print(
        f"\nbundles: {time.monotonic() - started:.0f} s; "
        f"{update.stat().st_size / 2**20:.0f} MiB and {broken.stat().st_size / 2**20:.0f} MiB"
    )
    return Releases(update, broken)


@pytest.fixture(scope="session")
def releases(built: Built) -> Releases:
    """The bundles, once their thread has built them."""
    return built.releases.result(timeout=3600)


@dataclass
class Host:
    """The console the terminal enrolls with, on the host's loopback."""

    console: Console
    code: str
    token: str


@pytest.fixture(scope="session")
def host(tmp_path_factory: pytest.TempPathFactory, built: Built) -> Iterator[Host]:
    """A console with municipality Adorf and one terminal to enroll."""
    console = Console(tmp_path_factory.mktemp("image-console"), heartbeat_s=5.0)
    code = seed_console(console)
    console.start()
    try:
        yield Host(console, code, admin_token(console))
    finally:
        console.stop()


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SSH key pair; its public half goes into buergerterminal.toml."""
    key = tmp_path_factory.mktemp("ssh") / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key


@dataclass(frozen=True)
class Bundles:
    """The bundle folder served over HTTPS, as the guest addresses it, and the server's CA."""

    base: str
    ca: Path


@pytest.fixture(scope="session")
def bundles(tmp_path_factory: pytest.TempPathFactory, built: Built) -> Iterator[Bundles]:
    """The build's folder over HTTPS on the host, certificate for 10.0.2.2 from a test CA.

    The CA reaches the terminal through buergerterminal.toml's ca_certificates.
    """
    pki = make_pki(tmp_path_factory.mktemp("pki"), "Kreis-IT Test CA", ("127.0.0.1", GUEST_HOST))
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(OUT))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert, pki.key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Bundles(f"https://{GUEST_HOST}:{httpd.server_address[1]}", pki.ca)
    finally:
        httpd.shutdown()
        httpd.server_close()


def boot_config(host: Host, ssh_key: Path, ca: Path) -> str:
    """The buergerterminal.toml a municipality would write for this terminal."""
    public = ssh_key.with_suffix(".pub").read_text().strip()
    return (
        f'console_url = "http://10.0.2.2:{host.console.port}"\n'
        f'enrollment_code = "{host.code}"\n'
        'terminal_name = "Rathaus Adorf"\n'
        'timezone = "Europe/Berlin"\n'
        f'ssh_key = "{public}"\n'
        f'ca_certificates = """\n{ca.read_text()}"""\n'
        "\n[terminal]\n"
        'camera = "synthetic"\n'
        'audio = "synthetic"\n'
        'pin_factory = "mock"\n'
        'printer = "none"\n'
        'card_reader = "none"\n'
    )


@pytest.fixture(scope="module")
def machine(
    tmp_path_factory: pytest.TempPathFactory,
    built: Built,
    host: Host,
    ssh_key: Path,
    bundles: Bundles,
) -> Iterator[Machine]:
    """A fresh copy of the card with the config on its boot partition, in a QEMU machine.

    Module scope: the machine is gone before later test folders (Chromium tests) run.
    """
    work = tmp_path_factory.mktemp("machine")
    disk = work / "disk.img"
    subprocess.run(["cp", "--sparse=always", built.result.disk, str(disk)], check=True)
    write_fat(
        disk, 1, "buergerterminal.toml", boot_config(host, ssh_key, bundles.ca).encode(), work
    )
    vm = Machine(disk, work, free_port(), ssh_key)
    try:
        yield vm
    finally:
        vm.shutdown()
        keep = shutil.ignore_patterns("*.img", "vmlinuz-*", "initrd-*")  # the serial logs stay
        shutil.copytree(work, REPO / "test-artifacts/image", dirs_exist_ok=True, ignore=keep)


def admin_token(console: Console) -> str:
    """An API token of an admin of Adorf, made in the console's database."""
    console.cli("add-caseworker", "--municipality", "Adorf", "--role", "admin", "admin-a",
                password="admin password long enough")  # fmt: skip

    async def make() -> str:
        db = Database.open(f"sqlite+aiosqlite:///{console.data_dir / 'console.db'}")
        try:
            record = await Store(db).caseworker_by_username("admin-a")
            assert record is not None
            _, token = await TokenStore(db).create(record.id, "image test", datetime.now(UTC), None)
            return token
        finally:
            await db.close()

    return asyncio.run(make())


def api(console: Console, token: str, method: str, path: str, body: object = None) -> Any:
    """One admin API request; the decoded JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        console.url + path, data=data, method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw else None
