// The staff home's document capture (mobile profile): one touch takes a still of the
// document under the camera; the daemon seals it for the console and keeps it until the
// console has it (appliance/outbox/), so it works without a connection too.
//
// POST /api/outbox/capture answers 201 {id, pending} or a JSON error {error: {code, message}};
// GET /api/outbox tells how many documents still wait (polled while the staff home shows).
// A 404 means this appliance has no outbox: the tile stays hidden.
"use strict";

import { $ } from "./api.js";
import * as i18n from "./i18n.js";

const POLL_MS = 5000;
const ERROR_KEYS = {
  no_camera: "capture.error-camera", camera_failed: "capture.error-camera", timeout: "capture.error-camera",
  no_key: "capture.error-key", storage_failed: "capture.error-storage", too_large: "capture.error-storage",
};

/** Wire the capture tile once; returns {shown(isShown)}. */
export function captureTool() {
  const tile = $("staff-capture-tile");
  const button = $("staff-capture");
  const waiting = $("staff-outbox");
  const result = $("staff-capture-result");
  let timer = null;
  let busy = false;
  let pending = null; // documents waiting, as last reported
  let said = ""; // the key of the last capture's result

  function showStatus(status) {
    tile.hidden = false;
    pending = Number(status.pending) || 0;
    waiting.textContent = pending
      ? i18n.t("capture.pending", { count: i18n.number(pending) })
      : i18n.t("capture.all-sent");
    waiting.dataset.pending = String(pending);
  }

  async function refresh() {
    try {
      const res = await fetch("/api/outbox", { cache: "no-store" });
      if (res.status === 404) {
        tile.hidden = true;
        return;
      }
      if (res.ok) showStatus(await res.json());
    } catch (err) {
      // the daemon restarts: the page reloads on its next snapshot
    }
  }

  function say(key, state) {
    said = key;
    result.textContent = key ? i18n.t(key) : "";
    result.dataset.state = state || "";
  }

  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say("capture.taking", "busy");
    try {
      const res = await fetch("/api/outbox/capture", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: "{}",
      });
      const body = await res.json().catch(() => ({}));
      if (res.ok) {
        say("capture.done", "ok");
        showStatus(body);
      } else {
        say(ERROR_KEYS[(body.error && body.error.code) || ""] || "capture.error", "error");
      }
    } catch (err) {
      say("capture.error", "error");
    } finally {
      busy = false;
      button.disabled = false;
      button.removeAttribute("aria-busy");
      refresh();
    }
  });

  return {
    /** The staff home appeared (true) or went away (false). */
    shown(isShown) {
      clearInterval(timer);
      timer = null;
      if (!isShown) {
        say("", "");
        return;
      }
      refresh();
      timer = setInterval(refresh, POLL_MS);
    },
    /** The language changed: the texts again. */
    relabel() {
      if (pending !== null) showStatus({ pending });
      say(said, result.dataset.state);
    },
  };
}
