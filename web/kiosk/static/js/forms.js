// The callback form and the in-call chat: what the citizen types, sent to the daemon.
//
// Nothing typed is kept by the page: wipe() empties both whenever the screen becomes
// welcome, and the daemon forgets name and phone once the console accepted them.
"use strict";

import { $, post } from "./api.js";
import { code, t } from "./i18n.js";

const PHONE = /^\+?[0-9 ()/-]{3,30}$/; // protocol.messages.PhoneNumber
const CALLBACK_STATUS = { sending: "callback.sending", failed: "callback.failed" };

/** The callback form: validation with clear messages, then POST /api/callback. */
export function callbackForm(getReason) {
  const form = $("callback-form");
  const name = $("callback-name");
  const phone = $("callback-phone");
  const status = $("callback-status");
  const fields = [
    [name, $("callback-name-error"), (v) => v.length > 0 && v.length <= 100, "callback.error-name"],
    [phone, $("callback-phone-error"),
     (v) => PHONE.test(v) && (v.match(/[0-9]/g) || []).length >= 3, "callback.error-phone"],
  ];
  let errors = new Set();
  let failed = false;

  function showErrors() {
    for (const [input, el, , key] of fields) {
      const bad = errors.has(input);
      input.setAttribute("aria-invalid", String(bad));
      el.hidden = !bad;
      el.textContent = bad ? t(key) : "";
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errors = new Set(fields.filter(([input, , ok]) => !ok(input.value.trim())).map((f) => f[0]));
    showErrors();
    if (errors.size) {
      [...errors][0].focus();
      return;
    }
    failed = false;
    status.textContent = t("callback.sending");
    const ok = await post("/api/callback", {
      name: name.value.trim(), phone: phone.value.trim(), language: code(), reason: getReason(),
    });
    if (!ok) {
      failed = true;
      status.textContent = t("callback.failed");
    }
  });

  /** Show the daemon's callback state (null, sending, sent, failed). */
  function render(state) {
    if (state) failed = false; // the daemon's word replaces the page's own failure
    const key = failed ? "callback.failed" : CALLBACK_STATUS[state];
    status.textContent = key ? t(key) : "";
  }

  function wipe() {
    form.reset();
    errors = new Set();
    failed = false;
    status.textContent = "";
    showErrors();
  }
  return { form, render, wipe, relabel: showErrors, focus: () => name.focus() };
}

/** The chat: role=log list of lines, and the input that posts /api/chat. */
export function chat() {
  const log = $("chat-log");
  const input = $("chat-input");
  const form = document.querySelector("[data-chat-form]");
  let shown = []; // the lines in the log, to append only new ones (screen readers announce them)
  let caseworker = null;

  function line(entry) {
    const li = document.createElement("p");
    li.className = entry.sender === "citizen" ? "me" : "them";
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = entry.sender === "citizen" ? t("call.chat-you") : caseworker || t("call.chat-caseworker");
    const text = document.createElement("span");
    text.className = "text";
    text.dir = "auto";
    text.textContent = entry.text;
    li.append(who, text);
    return li;
  }

  /** Show the snapshot's chat lines. */
  function render(lines, name, relabel) {
    lines = lines || [];
    caseworker = name;
    const same = shown.length <= lines.length &&
      shown.every((e, i) => e.text === lines[i].text && e.sender === lines[i].sender);
    if (!same || relabel) {
      log.replaceChildren(...lines.map(line));
    } else {
      lines.slice(shown.length).forEach((e) => log.append(line(e)));
    }
    if (lines.length > shown.length) log.scrollTop = log.scrollHeight;
    shown = lines.slice();
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (await post("/api/chat", { text })) input.value = "";
  });

  function wipe() {
    shown = [];
    log.replaceChildren();
    input.value = "";
  }
  return { render, wipe };
}
