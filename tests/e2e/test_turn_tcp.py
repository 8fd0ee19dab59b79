"""UDP blocked between terminal and caseworker: the call goes through TURN over TCP or TLS.

The terminal daemon (aiortc, ``camera`` leg) and the kiosk's Chromium (``screen`` leg) run
in a network namespace whose UDP is dropped both ways (``Netns.block_udp``), as behind a
village guest network that lets only TCP out. The console, the caseworker's Chromium and a
real coturn listen on the namespace's host side; coturn speaks UDP and TCP on one port and
TLS on another, with a certificate of a CA made in the test's temp dir (the municipality's
PKI): the terminal trusts it through ``ca_file``, both Chromiums through an NSS database in
their ``HOME`` (as the image's kiosk user would). The console forces relay candidates
(``ice_transport_policy = "relay"``) so that the kiosk's Chromium cannot fall back to ICE-TCP
host candidates. Each case prints answer -> first frame at the caseworker and at the kiosk;
the UDP case (nothing blocked) is the baseline.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.appliance.update.https_server import Pki, make_pki
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.coturn import Coturn, TlsFiles, running_coturn
from tests.e2e.harness import (
    PASSWORD,
    Console,
    enroll_terminal,
    frames_decoded,
    login,
    seed_console,
    wait_for,
)
from tests.e2e.terminal_process import TerminalProcess
from tests.e2e.test_turn_relay import selected_pair
from tests.netns import Netns, network_namespace

pytestmark = pytest.mark.e2e

CERTUTIL = shutil.which("certutil") or "/usr/bin/certutil"
CAMERA = "window.btConsole.pcs.camera"
SCREEN = "window.btKiosk.pc"


@pytest.fixture(scope="module")
def ns() -> Iterator[Netns]:
    with network_namespace() as namespace:
        yield namespace


@pytest.fixture(scope="module")
def pki(ns: Netns, tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), "Musterstadt CA", addresses=(ns.host_ip,))


@pytest.fixture(scope="module")
def coturn(ns: Netns, pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    tls = TlsFiles(cert=pki.cert, key=pki.key)
    with running_coturn(tmp_path_factory.mktemp("coturn"), listen_ip=ns.host_ip, tls=tls) as s:
        yield s


@pytest.fixture(scope="module")
def browsers(ns: Netns, pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Launch scripts: Chromium on this side and in the namespace, both trusting the CA."""
    base = tmp_path_factory.mktemp("browsers")
    home = base / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run([CERTUTIL, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True)
    subprocess.run([CERTUTIL, "-A", "-d", f"sql:{nssdb}", "-n", "Musterstadt CA", "-t", "C,,",
                    "-i", str(pki.ca)], check=True)  # fmt: skip
    inner = ns.wrapper(CHROMIUM, base)
    scripts = {}
    for name, target in (("host", CHROMIUM), ("kiosk", str(inner))):
        script = base / f"chromium-{name}"
        script.write_text(f'#!/bin/sh\nHOME={home} exec {target} "$@"\n')
        script.chmod(0o755)
        scripts[name] = script
    return scripts


@contextlib.contextmanager
def call_world(
    base: Path, ns: Netns, coturn: Coturn, pki: Pki, browsers: dict[str, Path],
    urls: list[str], *, block_udp: bool, linger_s: float = 0.5,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """Console handing out ``urls``, the terminal and its kiosk in ``ns``, anna signed in."""
    console = Console(base / "console", host=ns.host_ip, extra_env={
        "BT_CONSOLE_TURN_URLS": ",".join(urls),
        "BT_CONSOLE_TURN_SECRET": coturn.secret,
        "BT_CONSOLE_ICE_TRANSPORT_POLICY": "relay",
        "BT_CONSOLE_COOKIE_SECURE": "false",  # plain http on a non-loopback address
    })  # fmt: skip
    code = seed_console(console)
    console.start()
    terminal = TerminalProcess(console, base / "terminal", netns=ns, extra_env={
        "BT_TERMINAL_CA_FILE": str(pki.ca), "BT_TERMINAL_ENDED_LINGER_S": str(linger_s),
    })  # fmt: skip
    if block_udp:
        ns.block_udp()
    try:
        enroll_terminal(console, code, terminal.data_dir)
        terminal.start()
        # The console is plain http on a non-loopback address: let its page use the camera.
        secure = f"--unsafely-treat-insecure-origin-as-secure={console.url}"
        with two_chromiums(browsers["host"], browsers["kiosk"], secure) as (host, inner):
            anna = host.new_context().new_page()
            login(anna, console.url, "anna", PASSWORD)
            kiosk = inner.new_context().new_page()
            kiosk.goto(terminal.kiosk_url + "/")
            yield {"anna": anna, "kiosk": kiosk, "terminal": terminal}
    finally:
        terminal.stop()
        console.stop()
        ns.restore()


@contextlib.contextmanager
def two_chromiums(first: Path, second: Path, first_arg: str) -> Iterator[tuple[Any, Any]]:
    """Two Chromiums from one Playwright (it allows one sync instance per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browsers = [
            pw.chromium.launch(executable_path=str(exe), headless=True, args=CHROMIUM_ARGS + extra)
            for exe, extra in ((first, [first_arg]), (second, []))
        ]
        try:
            yield browsers[0], browsers[1]
        finally:
            for browser in browsers:
                browser.close()


def answer(world: dict[str, Any]) -> float:
    """The citizen calls, anna answers; returns the monotonic time of the click."""
    anna, kiosk = world["anna"], world["kiosk"]
    kiosk.click("[data-test=call]")
    kiosk.click("[data-test=continue]")
    anna.wait_for_selector("[data-test=queue-item] [data-test=answer]", timeout=10_000)
    clicked = time.monotonic()
    anna.click("[data-test=queue-item] [data-test=answer]")
    return clicked


CASES: dict[str, tuple[Callable[[Coturn], list[str]], bool, set[str]]] = {
    # name: (TURN URLs in the console's order, UDP blocked, expected relay protocols)
    "udp-baseline": (lambda c: [c.url], False, {"udp"}),
    "tcp": (lambda c: [c.url, c.url_tcp, c.url_tls], True, {"tcp", "tls"}),
    "tls-only": (lambda c: [c.url_tls], True, {"tls"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_call_through_turn(
    case: str, ns: Netns, coturn: Coturn, pki: Pki, browsers: dict[str, Path],
    tmp_path: Path,
) -> None:  # fmt: skip
    urls, blocked, protocols = CASES[case]
    before = len(coturn.allocations())
    with call_world(tmp_path, ns, coturn, pki, browsers, urls(coturn), block_udp=blocked) as w:
        anna, kiosk, terminal = w["anna"], w["kiosk"], w["terminal"]
        clicked = answer(w)
        wait_for(lambda: frames_decoded(anna, CAMERA) > 0, 20, 0.02, "caseworker decodes")
        at_caseworker = (time.monotonic() - clicked) * 1000
        wait_for(lambda: frames_decoded(kiosk, SCREEN) > 0, 20, 0.02, "kiosk decodes")
        at_kiosk = (time.monotonic() - clicked) * 1000
        seen = (frames_decoded(anna, CAMERA), frames_decoded(kiosk, SCREEN))
        time.sleep(1.0)
        assert frames_decoded(anna, CAMERA) > seen[0], "terminal -> caseworker frames stopped"
        assert frames_decoded(kiosk, SCREEN) > seen[1], "caseworker -> kiosk frames stopped"

        screen = wait_for(lambda: selected_pair(kiosk, SCREEN), 5, 0.1, "the kiosk's pair")
        assert screen["local"] == "relay" and screen["relayProtocol"] in protocols, screen
        camera = wait_for(lambda: selected_pair(anna, CAMERA), 5, 0.1, "the camera leg's pair")
        if blocked:  # no UDP: the terminal's aiortc can only be reached through its relay
            assert camera["remote"] == "relay", camera
        print(f"\n[{case}] answer -> first frame: caseworker {at_caseworker:.0f} ms, "
              f"kiosk {at_kiosk:.0f} ms; kiosk pair {screen}")  # fmt: skip
        anna.click("[data-test=hangup]")
        wait_for(lambda: terminal.state() in ("ended", "idle"), 10, 0.1, "call ended")

    def terminal_allocations() -> list[str | None]:
        found = coturn.allocations()[before:]
        return [a.protocol for a in found if ":t:" in a.username]

    assert terminal_allocations(), "no allocation by the terminal (t:) in coturn's log"
    if blocked:  # coturn names TCP when the connection closes; TLS at once
        wait_for(lambda: None not in terminal_allocations(), 10, 0.2, "terminal relays closed")
        assert set(terminal_allocations()) <= protocols, terminal_allocations()


def test_without_a_tcp_or_tls_url_the_call_fails_clearly(
    ns: Netns, coturn: Coturn, pki: Pki, browsers: dict[str, Path], tmp_path: Path
) -> None:
    """UDP blocked and only ``turn:...?transport=udp`` handed out: no path exists. Both sides
    must be told within a bounded time (the camera leg's connect timeout), no frozen call."""
    world = call_world(tmp_path, ns, coturn, pki, browsers, [coturn.url], block_udp=True,
                       linger_s=10.0)  # fmt: skip
    with world as w:
        anna, kiosk, terminal = w["anna"], w["kiosk"], w["terminal"]
        clicked = answer(w)
        wait_for(lambda: terminal.state() == "ended", 30, 0.2, "the call to end")
        ended_s = time.monotonic() - clicked
        reason = kiosk.wait_for_selector("[data-reason]:not([hidden])", timeout=5_000)
        assert reason is not None and reason.inner_text().strip(), "no reason on the kiosk"
        ended = "[data-test=notice]:has-text('Die Audio-/Videoverbindung ist fehlgeschlagen')"
        notice = anna.wait_for_selector(ended, timeout=5_000)  # calls.ended.media_failed
        assert notice is not None
        print(
            f"\n[no tcp/tls url] call ended {ended_s:.1f} s after the answer; kiosk: "
            f"{reason.inner_text().strip()!r}; caseworker: {notice.inner_text().strip()!r}"
        )
        assert ended_s < 25, f"the failure took {ended_s:.1f} s to reach the citizen"
        log = terminal.log_tail(40)
        assert "no TURN URL reachable" in log and coturn.url in log, log
