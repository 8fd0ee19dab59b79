"""The camera leg's TURN choice against a real coturn on 127.0.0.1 (UDP, TCP and TLS).

coturn listens for UDP and TCP on one port and for TLS on another, with a server
certificate of a CA made in the test's temp dir (the municipality's PKI). The probe must
take the console's first reachable URL, pass over a dead one and an untrusted certificate,
and aiortc must really allocate over TLS once the leg gives aioice the trust context.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.media.peer import AiortcCameraLeg
from appliance.media.relay_choice import choose_relay, parse_turn_url
from appliance.parts.camera import create_camera
from appliance.trust import trust_context
from console.turn import TurnCredentials
from protocol.messages import IceServer
from tests.appliance.fakes import wait_for
from tests.appliance.update.https_server import Pki, make_pki
from tests.coturn import Coturn, TlsFiles, running_coturn


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"), name="Musterstadt Test CA")


@pytest.fixture(scope="module")
def coturn(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Coturn]:
    tls = TlsFiles(cert=pki.cert, key=pki.key)
    with running_coturn(tmp_path_factory.mktemp("coturn"), tls=tls) as server:
        yield server


def dead_port() -> int:
    """A TCP and UDP port on 127.0.0.1 nobody listens on (bound and closed again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server(coturn: Coturn, *urls: str) -> IceServer:
    """One TURN entry with these URLs and a credential coturn accepts."""
    return TurnCredentials(list(urls), coturn.secret, 3600).server_for("t:probe")


def test_parse_turn_urls() -> None:
    tls = parse_turn_url("turns:turn.example.org:443?transport=tcp")
    assert tls is not None and (tls.host, tls.port, tls.label) == ("turn.example.org", 443, "tls")
    plain = parse_turn_url("turn:10.0.0.1")
    assert plain is not None and (plain.port, plain.label) == (3478, "udp")
    six = parse_turn_url("turn:[2001:db8::1]:3479?transport=tcp")
    assert six is not None and (six.host, six.port, six.label) == ("2001:db8::1", 3479, "tcp")
    for bad in ("stun:x:3478", "turns:x:5349?transport=udp", "turn:x:99999", "turn:x:ab", "turn:"):
        assert parse_turn_url(bad) is None, bad


async def test_first_reachable_url_in_the_consoles_order(coturn: Coturn, pki: Pki) -> None:
    context = trust_context(pki.ca)
    both = server(coturn, coturn.url, coturn.url_tcp, coturn.url_tls)
    choice = await choose_relay([both], context)
    assert choice.chosen is not None and choice.chosen.label == "udp"
    assert [s.urls for s in choice.servers] == [[coturn.url]]
    assert choice.servers[0].credential == both.credential

    dead = f"turn:127.0.0.1:{dead_port()}?transport=udp"
    choice = await choose_relay([server(coturn, dead, coturn.url_tls, coturn.url_tcp)], context)
    assert choice.chosen is not None and choice.chosen.url == coturn.url_tls, choice.describe()
    assert dead in choice.refused


async def test_untrusted_certificate_is_passed_over(coturn: Coturn) -> None:
    system_only = trust_context(None)
    choice = await choose_relay([server(coturn, coturn.url_tls, coturn.url_tcp)], system_only)
    assert choice.chosen is not None and choice.chosen.label == "tcp"
    assert "certificate not trusted" in choice.refused[coturn.url_tls], choice.refused


async def test_nothing_reachable_keeps_the_list_and_says_why(pki: Pki) -> None:
    dead_tcp = f"turn:127.0.0.1:{dead_port()}?transport=tcp"
    dead_tls = f"turns:127.0.0.1:{dead_port()}?transport=tcp"
    stun = IceServer(urls=["stun:127.0.0.1:3478"])
    given = [stun, IceServer(urls=[dead_tcp, dead_tls], username="u", credential="c")]
    choice = await choose_relay(given, trust_context(pki.ca), wait_s=0.5)
    assert choice.chosen is None and choice.servers == [stun]  # no 5 s wait on dead relays
    assert set(choice.refused) == {dead_tcp, dead_tls}
    assert "no TURN URL reachable" in choice.describe()


async def relay_candidates(coturn: Coturn, context: ssl.SSLContext, url: str) -> list[str]:
    """The relay candidate lines of the camera leg's offer with only ``url``."""
    camera = create_camera("synthetic")
    leg = AiortcCameraLeg(
        ice_servers=[server(coturn, url)],
        video=camera.track,
        audio=lambda: None,
        on_failed=lambda _: None,
        tls_context=context,
    )
    try:
        sdp = await leg.offer()
    finally:
        await leg.close()
    return [line for line in sdp.splitlines() if "typ relay" in line]


async def test_aiortc_allocates_over_tls_with_the_municipalitys_ca(
    coturn: Coturn, pki: Pki, tmp_path: Path
) -> None:
    before = len(coturn.allocations())
    assert await relay_candidates(coturn, trust_context(pki.ca), coturn.url_tls)
    assert [a.protocol for a in coturn.allocations()[before:]] == ["tls"]
    # The same server without the CA: aioice's check refuses it, no relay (checks stay on).
    untrusted = trust_context(tmp_path / "none.pem")
    assert await relay_candidates(coturn, untrusted, coturn.url_tls) == []
    assert await relay_candidates(coturn, trust_context(None), coturn.url_tcp)
    await wait_for(lambda: coturn.allocations()[-1].protocol == "tcp", 5.0, 0.05)
    assert all(a.username.endswith(":t:probe") for a in coturn.allocations()[before:])
