"""Which kind of card was inserted, told from its ATR alone, by the community's ATR list.

A card's Answer To Reset is all the terminal reads: no file, no certificate, no number.
Rather than keep a hand-written table that goes stale, we match against pcsc-tools'
``smartcard_list.txt`` (Debian ships it at ``/usr/share/pcsc/smartcard_list.txt``;
2023 edition: ~4,000 entries). Each entry is an ATR line, which is a regular expression
over the upper-case hex bytes separated by single spaces (``3B 8A 80 01 .. 31``, plus
occasional ``[..]`` classes and ``.*``), followed by tab-indented description lines.

The descriptions are then sorted into the four kinds the caseworker needs to know about,
by keywords checked in the real file (German ID card entries say "Personalausweis",
"ePerso" or "German ID card"; eGK entries "elektronische Gesundheitskarte" or "German
Health Insurance Card"; bank cards "girocard", "ec card", "ec-cash" or a Maestro card of a
German bank). The generic "(eID)" tag is not enough: it marks ID cards of any country.

About 3,500 of the entries are plain byte strings and go into a dict; only the ~500 with
wildcards are compiled, so parsing and compiling take about 0.1 s once at start and a
lookup is a dict hit or a few hundred ``fullmatch`` calls (well under 1 ms).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from protocol.messages import CardType

log = logging.getLogger(__name__)

DEFAULT_DATABASE = Path("/usr/share/pcsc/smartcard_list.txt")

_EID = re.compile(r"personalausweis|\bnpa\b|\beperso\b|german (?:id|identity) ?card", re.IGNORECASE)
_EGK = re.compile(
    r"gesundheitskarte|\begk\b|german health ?insurance|versichertenkarte", re.IGNORECASE
)
_GIROCARD = re.compile(
    r"girocard|giro card|\bec[- ]?(?:card|karte|cash)\b|ec/maestro|\[ec\b", re.IGNORECASE
)
_MAESTRO = re.compile(r"maestro|geldkarte", re.IGNORECASE)
_GERMAN = re.compile(
    r"german|deutschland|sparkasse|volksbank|postbank|commerzbank|deutsche|\bdkb\b|bbbank|1822",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[0-9A-F]{2}(?: [0-9A-F]{2})*")


def classify(lines: list[str]) -> CardType:
    """Sort one entry's description lines into eid, egk, girocard or unknown.

    Several cards can share one ATR, one line each; a Maestro card counts as a girocard
    only if its own line names a German bank or Germany.
    """
    text = " ".join(lines)
    if _EID.search(text):
        return "eid"
    if _EGK.search(text):
        return "egk"
    if _GIROCARD.search(text):
        return "girocard"
    if any(_MAESTRO.search(line) and _GERMAN.search(line) for line in lines):
        return "girocard"
    return "unknown"


def format_atr(atr: bytes | list[int]) -> str:
    """The ATR as the list writes it: upper-case hex bytes separated by spaces."""
    return " ".join(f"{byte:02X}" for byte in bytes(atr))


@dataclass(frozen=True)
class _Entry:
    pattern: re.Pattern[str]
    kind: CardType


class AtrDatabase:
    """The parsed ATR list; :meth:`card_type` answers for one ATR."""

    def __init__(self, exact: dict[str, CardType], patterns: list[_Entry]) -> None:
        self._exact = exact
        self._patterns = patterns

    @property
    def size(self) -> int:
        """Number of entries that were read."""
        return len(self._exact) + len(self._patterns)

    @classmethod
    def empty(cls) -> AtrDatabase:
        """A database that knows no card: everything is ``unknown``."""
        return cls({}, [])

    @classmethod
    def load(cls, path: Path = DEFAULT_DATABASE) -> AtrDatabase:
        """Parse the list at ``path``; a missing or unreadable file gives an empty database.

        That is logged once, here: the terminal then reports every card as ``unknown``.
        """
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            log.warning(
                "ATR list %s unreadable (%s): every card will be reported as unknown",
                path,
                err.strerror or err,
            )
            return cls.empty()
        return cls.parse(text)

    @classmethod
    def parse(cls, text: str) -> AtrDatabase:
        """Parse the text of a ``smartcard_list.txt``."""
        exact: dict[str, CardType] = {}
        patterns: list[_Entry] = []
        for atr, description in _entries(text):
            kind = classify(description)
            if _PLAIN.fullmatch(atr):
                # The first entry of an ATR wins, as in pcsc-tools' own lookup.
                exact.setdefault(atr, kind)
                continue
            try:
                patterns.append(_Entry(re.compile(atr), kind))
            except re.error:
                log.debug("ATR pattern %r is not a valid regular expression: skipped", atr)
        return cls(exact, patterns)

    def card_type(self, atr: bytes | list[int]) -> CardType:
        """The kind of card with this ATR; ``unknown`` if no entry of a known kind matches.

        An exact entry decides alone. Otherwise the first matching pattern of a known
        kind wins: broad patterns that also match other cards are labelled generically
        in the list ("JCOP card", "Bank card"), so they rarely name a known kind.
        """
        text = format_atr(atr)
        found = self._exact.get(text)
        if found is not None:
            return found
        for entry in self._patterns:
            if entry.kind != "unknown" and entry.pattern.fullmatch(text):
                return entry.kind
        return "unknown"


def _entries(text: str) -> list[tuple[str, list[str]]]:
    """(ATR pattern, description lines) pairs, in file order."""
    out: list[tuple[str, list[str]]] = []
    atr: str | None = None
    lines: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("#") or not raw.strip():
            continue
        if raw[0] in " \t":
            if atr is not None:
                lines.append(raw.strip())
            continue
        if atr is not None:
            out.append((atr, lines))
        atr, lines = raw.strip().upper(), []
    if atr is not None:
        out.append((atr, lines))
    return out
