"""Checks run on the kiosk page in the browser: axe-core, untranslated text, touch targets.

axe-core is the npm package (package.json at the repo root, installed by ``make``),
injected from node_modules into the page once; each check runs it on the current DOM.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from appliance.kiosk.i18n import load_languages

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MIN_TARGET_PX = 44


def inject_axe(page: Any) -> None:
    """Load axe-core into the page (fails clearly when `npm ci` has not run)."""
    assert AXE.is_file(), f"{AXE} missing: run `make venv` (npm ci) first"
    page.add_script_tag(path=str(AXE))


def axe_violations(page: Any) -> list[str]:
    """WCAG 2.1 A/AA violations on the page as readable lines (empty when none)."""
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    lines = []
    for v in result["violations"]:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: "
                         f"{node.get('failureSummary', '').strip()}")  # fmt: skip
    return lines


def visible_texts(page: Any) -> list[str]:
    """Every visible text node and accessible-name attribute on the page."""
    return page.evaluate(  # type: ignore[no-any-return]
        """() => {
          const out = [];
          const visible = (el) => el && el.checkVisibility && el.checkVisibility();
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const text = n.textContent.trim();
            if (text && visible(n.parentElement)) out.push(text);
          }
          const named = '[aria-label], [alt], [title], [placeholder]';
          for (const el of document.querySelectorAll(named)) {
            if (!visible(el)) continue;
            for (const a of ['aria-label', 'alt', 'title', 'placeholder']) {
              const v = el.getAttribute(a);
              if (v) out.push(v);
            }
          }
          return out;
        }"""
    )


def _pattern(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{\w+\}", text)
    return re.compile("^" + ".+".join(re.escape(p) for p in parts) + "$", re.S)


def untranslated(page: Any, code: str) -> list[str]:
    """Visible texts that are German catalog texts although the page is in ``code``."""
    if code in ("de", "ls"):
        return []
    languages = load_languages()
    german, own = languages["de"].messages, languages[code].messages
    patterns = [(key, _pattern(text)) for key, text in german.items()
                if text != own[key] and re.search(r"[^\W\d_]{3}", text)]  # fmt: skip
    found = []
    for text in visible_texts(page):
        for key, pattern in patterns:
            if pattern.match(text) and not _pattern(own[key]).match(text):
                found.append(f"{key}: {text!r}")
    return found


def small_targets(page: Any) -> list[str]:
    """Visible buttons, inputs and links smaller than 44 x 44 CSS px."""
    return page.evaluate(  # type: ignore[no-any-return]
        """min => [...document.querySelectorAll('button, input, a[href], select, textarea')]
          .filter((el) => el.checkVisibility())
          .map((el) => [el, el.getBoundingClientRect()])
          .filter(([el, r]) => r.width < min || r.height < min)
          .map(([el, r]) => `${el.dataset.test || el.id || el.tagName} ${r.width}x${r.height}`)""",
        MIN_TARGET_PX,
    )
