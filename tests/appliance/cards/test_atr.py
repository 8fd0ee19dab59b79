"""Card types from Debian's real ATR list, and what happens without it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.parts.cards.atr import DEFAULT_DATABASE, AtrDatabase, classify

# ATRs as they stand in /usr/share/pcsc/smartcard_list.txt (pcsc-tools 1.6.x, Debian 12).
EID = "3B 8A 80 01 80 31 B8 73 84 01 E0 82 90 00 06"  # "German ID Card - Personalausweis"
EID_2011 = "3B 88 80 01 E1 F3 5E 13 77 83 D5 00 77"  # "ePerso - German ID card (issued 2011)"
EGK = "3B 85 80 01 30 01 01 30 30 34"  # "elektronische Gesundheitskarte" (eGK)
EGK_G2 = "3B D0 96 FF 81 B1 FE 45 1F C7 EA"  # "... Gesundheitskarte eGK), 2nd generation (G2)"
GIROCARD = "3B EF 00 FF 81 31 FE 45 65 63 11 14 71 05 28 00 1F 00 0A 1E 13 37 10 7B"
# matched by the pattern "3B FF .. 00 FF 81 31 .. 45 65 63 .. ..": "Debit card (Germany): ec-cash"
GIROCARD_BY_PATTERN = "3B FF 42 00 FF 81 31 77 45 65 63 " + " ".join(["00"] * 14)
ESTONIAN_EID = "3B 5E 11 FF 45 73 74 45 49 44 20 76 65 72 20 31 2E 30"  # "Estonian Identity Card"
NOT_LISTED = "3B 02 14 50"


def atr(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.fixture(scope="module")
def db() -> AtrDatabase:
    assert DEFAULT_DATABASE.exists(), "needs Debian's pcsc-tools (see the Makefile)"
    return AtrDatabase.load(DEFAULT_DATABASE)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (EID, "eid"),
        (EID_2011, "eid"),
        (EGK, "egk"),
        (EGK_G2, "egk"),
        (GIROCARD, "girocard"),
        (GIROCARD_BY_PATTERN, "girocard"),
        (ESTONIAN_EID, "unknown"),  # an eID, but not the German one
        (NOT_LISTED, "unknown"),
    ],
)
def test_real_list(db: AtrDatabase, text: str, kind: str) -> None:
    assert db.card_type(atr(text)) == kind


def test_real_list_size(db: AtrDatabase) -> None:
    assert db.size > 3000


def test_classify_keywords() -> None:
    assert classify(["Personalausweis (German Identity Card) (eID)"]) == "eid"
    assert classify(["Estonian Identity Card (eID)"]) == "unknown"
    assert classify(['German "eGK" (State Health Insurance Card)']) == "egk"
    assert classify(["Sparkasse Zwickau Maestro card (Bank)"]) == "girocard"
    # A Maestro card of a foreign bank sharing the ATR with a German credit card is not one.
    assert classify(["American Express Blue Card (Germany)", "Bancomat / Maestro"]) == "unknown"


def test_parse_patterns_and_first_entry_wins() -> None:
    text = (
        "# comment\n\n3B 11 22\n\tgirocard (Bank)\n3B 11 22\n\tother\n"
        "3B .. 33\n\teGK\n3B [\n\tbad\n"
    )
    db = AtrDatabase.parse(text)
    assert db.card_type(bytes([0x3B, 0x11, 0x22])) == "girocard"
    assert db.card_type(bytes([0x3B, 0x99, 0x33])) == "egk"
    assert db.card_type(bytes([0x3B, 0x99])) == "unknown"


def test_missing_list_makes_every_card_unknown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        db = AtrDatabase.load(tmp_path / "nope.txt")
    assert db.card_type(atr(EID)) == "unknown"
    assert db.card_type(atr(EGK)) == "unknown"
    assert len([r for r in caplog.records if "unknown" in r.getMessage()]) == 1
