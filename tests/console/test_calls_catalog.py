"""The call and desk words of the console page exist in German and English.

Every key that console.js and its companions (queue, media, desk, offers, transfer, chat,
callbacks, office, terminal) or the call/queue parts of index.html ask for is defined in both
languages' catalogs, keys built from protocol values (end reasons, presence states, error
codes) included; and the scripts carry no German sentence of their own any more.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

from console.i18n import Translations
from protocol.messages import EndReason, PresenceState

ERROR_CODES = (
    "taken",
    "busy",
    "not_found",
    "closed",
    "invalid",
    "forbidden",
    "unavailable",
    "other",
)
ROOT = Path(__file__).resolve().parents[2] / "web" / "console"
SCRIPTS = ("console", "queue", "media", "desk", "offers", "transfer", "chat", "callbacks",
           "office", "terminal")  # fmt: skip
LITERAL_KEY = re.compile(r"""\bt\(\s*["']((?:calls|desk|app)\.[a-z0-9_.-]+[a-z0-9_-])["']""")
BUILT_KEYS = (
    [f"calls.ended.{reason}" for reason in get_args(EndReason)]
    + [f"desk.state.{state}" for state in get_args(PresenceState)]
    + [f"calls.state.{state}" for state in ("idle", "connecting", "in-call")]
    + [f"calls.link.{state}" for state in ("connecting", "online", "offline")]
    + [f"calls.error.{code}" for code in ERROR_CODES]
    + [f"calls.lang.{code}" for code in ("de", "en", "uk", "ar", "tr", "ls")]
    + [f"calls.callback.reason.{r}" for r in ("closed", "no_answer", "other")]
    + [f"calls.callback.status.{s}" for s in ("done", "failed")]
    + [f"calls.card.{c}" for c in ("eid", "egk", "girocard", "unknown")]
    + [f"calls.part_state.{s}" for s in ("ok", "missing", "failed")]
)
GERMAN_WORD = r"[äöüßÄÖÜ]|\b(?:der|die|das|und|nicht|Sie|Bitte)\b"
GERMAN = re.compile(rf"""["'][^"'\n]*(?:{GERMAN_WORD})[^"'\n]*["']""")


def used_keys() -> set[str]:
    keys = set(BUILT_KEYS)
    for name in SCRIPTS:
        keys |= set(LITERAL_KEY.findall((ROOT / "static" / f"{name}.js").read_text()))
    keys |= {k for k in LITERAL_KEY.findall((ROOT / "templates" / "index.html").read_text())
             if k.startswith(("calls.", "desk."))}  # fmt: skip
    return keys


def test_every_key_is_in_german_and_english() -> None:
    catalogs = Translations.load(ROOT / "translations")
    keys = used_keys()
    assert len(keys) > 100
    for language in ("de", "en"):
        missing = sorted(keys - catalogs.keys(language))
        assert not missing, f"{language} lacks {missing}"


def test_german_and_english_define_the_same_call_and_desk_keys() -> None:
    catalogs = Translations.load(ROOT / "translations")
    for prefix in ("calls.", "desk."):
        de = {k for k in catalogs.keys("de") if k.startswith(prefix)}
        en = {k for k in catalogs.keys("en") if k.startswith(prefix)}
        assert de == en, sorted(de ^ en)
    assert catalogs.t("en", "desk.offer.rings", seconds=12) == "ringing for 12 s more"
    assert catalogs.t("de", "calls.ended.transferred") == "Das Gespräch wurde weitergeleitet."


def test_scripts_carry_no_german_sentences() -> None:
    for name in SCRIPTS:
        code = (ROOT / "static" / f"{name}.js").read_text()
        body = "\n".join(line for line in code.splitlines()
                         if not line.lstrip().startswith(("*", "/*", "//")))  # fmt: skip
        found = GERMAN.findall(body)
        assert not found, f"{name}.js: {found}"
