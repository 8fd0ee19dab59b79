// The mobile profile's staff screens: sign-in (one-time code or username + password + TOTP)
// and the staff home (call a specialist queue, the card in the reader, the printer, sign out;
// without a link the staff home stays, its calls greyed out, for capturing: js/capture.js).
//
// Touch first: the code has its own keypad with large keys, so signing in with a code needs
// no keyboard at all; the password form uses plain inputs for the system's on-screen keyboard.
// What is typed goes to the daemon once (POST /api/staff/signin), which sends it to the
// console and keeps nothing; the fields are emptied as soon as the form is sent, and again
// whenever a staff screen is shown.
"use strict";

import { $, post } from "./api.js";
import * as i18n from "./i18n.js";

const CARD_KEYS = { eid: "staff.card-eid", egk: "staff.card-egk", girocard: "staff.card-girocard" };
const ERROR_KEYS = {
  wrong: "staff.error-wrong", not_mobile: "staff.error-not_mobile", forbidden: "staff.error-forbidden",
  second_factor: "staff.error-second_factor", setup_required: "staff.error-setup_required",
  offline: "staff.error-offline", idle: "staff.error-idle", expired: "staff.error-expired",
};

/** Wire the staff screens once; returns {render(name, staff), wipe()}. */
export function staffScreens() {
  const codeForm = $("staff-code-form");
  const passwordForm = $("staff-password-form");
  const codeInput = $("staff-code");
  const fields = [codeInput, $("staff-username"), $("staff-password"), $("staff-totp")];
  const wayCode = $("staff-way-code");
  const wayPassword = $("staff-way-password");

  function choose(way) {
    const code = way === "code";
    codeForm.hidden = !code;
    passwordForm.hidden = code;
    wayCode.setAttribute("aria-pressed", String(code));
    wayPassword.setAttribute("aria-pressed", String(!code));
    (code ? codeInput : $("staff-username")).focus();
  }

  function wipe() {
    for (const field of fields) field.value = "";
  }

  function digits(value) {
    return value.replace(/\D/g, "");
  }

  wayCode.addEventListener("click", () => choose("code"));
  wayPassword.addEventListener("click", () => choose("password"));
  $("staff-keypad").addEventListener("click", (ev) => {
    const key = ev.target.closest("button[data-digit]");
    if (key && digits(codeInput.value).length < 8) codeInput.value = digits(codeInput.value) + key.dataset.digit;
  });
  $("key-delete").addEventListener("click", () => (codeInput.value = digits(codeInput.value).slice(0, -1)));
  codeForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const code = digits(codeInput.value);
    wipe();
    if (code) post("/api/staff/signin", { code });
  });
  passwordForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const body = { username: $("staff-username").value.trim(), password: $("staff-password").value };
    const totp = digits($("staff-totp").value);
    if (totp) body.totp = totp;
    $("staff-password").value = "";
    $("staff-totp").value = "";
    if (body.username && body.password) post("/api/staff/signin", body);
  });
  $("staff-signout").addEventListener("click", () => post("/api/staff/signout"));

  function signin(staff) {
    const error = $("staff-error");
    const code = staff.error;
    let text = "";
    if (code === "throttled") {
      text = i18n.t("staff.error-throttled", { minutes: Math.max(1, Math.ceil((staff.retry_after_s || 60) / 60)) });
    } else if (code) {
      text = i18n.t(ERROR_KEYS[code] || "staff.error-wrong");
    }
    error.textContent = text;
    error.hidden = !text;
    $("staff-pending").hidden = !staff.pending;
    if (code === "second_factor") {
      passwordForm.hidden = false;
      codeForm.hidden = true;
    }
  }

  function home(staff, offline) {
    $("staff-name").textContent = i18n.t("staff.home-heading", { name: staff.name || "" });
    const until = staff.expires_at
      ? new Date(staff.expires_at * 1000).toLocaleTimeString(i18n.locale(), { hour: "2-digit", minute: "2-digit" })
      : "";
    $("staff-until").textContent = until ? i18n.t("staff.until", { time: until }) : "";
    const list = $("staff-queues");
    const queues = staff.queues || [];
    const key = JSON.stringify(queues);
    if (list.dataset.key !== key) {
      list.dataset.key = key;
      list.replaceChildren(...queues.map((q) => {
        const li = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "primary";
        button.dataset.test = "staff-queue";
        button.dataset.queueId = String(q.queue_id);
        const name = document.createElement("span");
        name.textContent = q.name;
        const office = document.createElement("small");
        office.textContent = q.office;
        button.append(name, office);
        button.addEventListener("click", () => post("/api/staff/call", { queue_id: q.queue_id }));
        li.append(button);
        return li;
      }));
    }
    // Out of signal: no calls until the link is back; capturing documents still works.
    for (const button of list.querySelectorAll("button")) button.disabled = offline;
    $("staff-offline").hidden = !offline;
    $("staff-no-queues").hidden = queues.length > 0;
    const card = staff.card;
    $("staff-card").textContent = card ? i18n.t(CARD_KEYS[card] || "staff.card-unknown") : i18n.t("staff.card-none");
    $("staff-card").dataset.card = card || "";
    const printer = $("staff-printer");
    printer.textContent = i18n.t(staff.printer === "ok" ? "staff.printer-ok" : "staff.printer-missing");
    printer.dataset.state = staff.printer || "none";
  }

  return {
    render(name, staff, offline) {
      if (name === "staff-signin") signin(staff);
      else home(staff, Boolean(offline));
    },
    wipe,
  };
}
