// Activity and the idle warning: no timing the citizen cannot extend (WCAG 2.2.1).
//
// Touches and keys are posted to /api/activity at most every 5 s; the daemon's idle
// timeout (idle_timeout_s from the snapshot) restarts with each. Shortly before it
// would return to welcome on info/closed/no-answer (or sign the staff member out on a
// mobile kit's staff home), a dialog asks "Are you still there?" and its button posts
// activity at once.
"use strict";

import { $, post } from "./api.js";

const THROTTLE_MS = 5000;
const TIMED_SCREENS = new Set(["info", "closed", "no-answer", "staff-home"]);

/** Watch input and show the idle warning before the daemon's timeout; returns {screen}. */
export function activity() {
  const overlay = document.querySelector("[data-idle-overlay]");
  const stillHere = $("still-here");
  let lastPost = 0; // when the daemon last heard of activity (or the screen changed)
  let timeoutS = 0;
  let timed = false;
  let returnFocus = null;

  function touched(force) {
    const now = Date.now();
    if (!force && now - lastPost < THROTTLE_MS) return;
    lastPost = now;
    post("/api/activity");
  }

  function hide() {
    if (overlay.hidden) return;
    overlay.hidden = true;
    if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
    returnFocus = null;
  }

  function check() {
    if (!timed || !timeoutS) return hide();
    const warnS = Math.min(20, timeoutS / 3);
    const left = timeoutS - (Date.now() - lastPost) / 1000;
    if (left > warnS || left < -5) return hide();
    if (overlay.hidden) {
      returnFocus = document.activeElement;
      overlay.hidden = false;
      stillHere.focus();
    }
  }

  for (const type of ["pointerdown", "keydown"]) {
    window.addEventListener(type, () => touched(false), { capture: true, passive: true });
  }
  stillHere.addEventListener("click", () => {
    if (Date.now() - lastPost > 1000) touched(true); // not again right after its pointerdown
    hide();
  });
  setInterval(check, 500);

  /** A snapshot arrived: track the screen and the daemon's idle timeout. */
  function screen(name, changed, idleTimeoutS) {
    timeoutS = Number(idleTimeoutS) || 0;
    timed = TIMED_SCREENS.has(name);
    if (changed) {
      lastPost = Date.now(); // the daemon restarts its timer on a new screen too
      hide();
    }
    check();
  }
  return { screen };
}
