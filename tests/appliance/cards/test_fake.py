"""The fake reader's verbs and the health and change events they cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.errors import ConfigError
from appliance.parts.cards import CardSlot, create_card_reader
from appliance.parts.cards.atr import DEFAULT_DATABASE
from appliance.parts.cards.fake import FakeCardReader
from protocol.messages import CardType
from tests.appliance.cards.test_atr import EGK, EID


def test_verbs_drive_health_and_events() -> None:
    changes: list[CardType | None] = []
    reader = FakeCardReader(changes.append, DEFAULT_DATABASE)
    assert reader.health() == "ok"
    assert reader.insert_card(EID) == "eid"
    assert reader.health() == "eid" and reader.card == "eid"
    reader.remove_card()
    assert reader.health() == "ok"
    reader.insert_card(EGK)
    reader.unplug()  # the card leaves with the reader
    assert reader.health() == "missing" and reader.card is None
    reader.plug()
    assert reader.health() == "ok"
    reader.insert_card(bytes([0x3B, 0x02, 0x14, 0x50]))
    assert reader.health() == "unknown"
    assert changes == ["eid", None, "egk", None, "unknown"]


def test_slot_reports_only_card_changes() -> None:
    changes: list[CardType | None] = []
    slot = CardSlot(changes.append)
    slot.update(True)
    slot.update(False)
    slot.update(True, "egk")
    slot.update(True, "egk")
    assert changes == ["egk"]


def test_factory(tmp_path: Path) -> None:
    assert create_card_reader("none", print, tmp_path) is None
    assert isinstance(create_card_reader("fake", print, tmp_path), FakeCardReader)
    with pytest.raises(ConfigError):
        create_card_reader("smartcard", print, tmp_path)


def test_an_inserted_card_is_healthy_in_healthz() -> None:
    from appliance.kiosk import KioskBridge

    parts = {"camera": "ok", "card_reader": "eid"}
    bridge = KioskBridge(post=lambda event: None, parts=lambda: parts)
    bridge.running = True
    assert bridge.health()["status"] == "ok"
    parts["card_reader"] = "missing"
    assert bridge.health()["status"] == "degraded"
