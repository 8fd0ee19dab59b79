// What each screen shows of a snapshot (docs/kiosk-api.md): texts, figures, media.
//
// Pure rendering: kiosk.js decides which section is visible and wires the intents;
// these functions fill the section of the current screen from the daemon's snapshot.
"use strict";

import { $ } from "./api.js";
import { minutes, number, t, today, weekday, when } from "./i18n.js";

const REASONS = {
  cancelled: "reason.cancelled",
  media_failed: "reason.media_failed",
  caseworker_lost: "reason.caseworker_lost",
};
const PRINT = {
  queued: "print.queued",
  printing: "print.printing",
  done: "print.done",
  failed: "print.failed",
};

const q = (sel) => document.querySelector(sel);

function setText(el, text) {
  el.textContent = text || "";
  el.hidden = !text;
}

/** "Open again from Monday, 1 December, 08:00", or "" when unknown. */
function nextOpen(office) {
  if (!office || office.open || !office.next_open) return "";
  return t("office.next-open", { when: when(office.next_open, office.timezone) });
}

function hours(office) {
  const list = $("office-hours");
  const now = today(office.timezone);
  const items = [];
  for (let day = 1; day <= 7; day++) {
    const spans = office.hours.filter((h) => h.weekday === day);
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "day";
    name.textContent = weekday(day);
    if (day === now) {
      const mark = document.createElement("span");
      mark.className = "today-mark";
      mark.textContent = `${t("office.today")}`;
      name.append(mark);
    }
    const times = document.createElement("span");
    times.className = "times";
    if (spans.length) {
      for (const h of spans) {
        const span = document.createElement("span");
        span.textContent = t("office.span", { opens: h.opens, closes: h.closes });
        times.append(span);
      }
    } else {
      times.textContent = t("office.day-closed");
    }
    li.append(name, times);
    if (!spans.length) li.classList.add("shut");
    if (day === now) {
      li.classList.add("today");
      li.setAttribute("aria-current", "date");
    }
    items.push(li);
  }
  list.replaceChildren(...items);
}

/** The welcome screen: office state, figures and the weekly hours. */
export function welcome(s) {
  const office = s.office;
  const box = q("[data-office]");
  box.hidden = !office;
  if (!office) return;
  const state = $("office-state");
  state.textContent = t(office.open ? "office.open-now" : "office.closed-now");
  state.dataset.open = String(office.open);
  setText($("next-open"), nextOpen(office));
  $("available").textContent = t("office.available", { count: number(office.available || 0) });
  $("waiting-count").textContent = t("office.waiting", { count: number(office.waiting || 0) });
  const wait = office.open && office.estimated_wait_s != null
    ? t("office.wait", { duration: minutes(office.estimated_wait_s) }) : "";
  setText($("office-wait"), wait);
  hours(office);
}

/** The closed screen: when the office opens next. */
export function closed(s) {
  setText(q("[data-closed-next]"), nextOpen(s.office));
}

/** The waiting screen: position and estimated wait. */
export function waiting(s) {
  $("position").textContent = s.position
    ? t("waiting.position", { position: number(s.position) })
    : t("waiting.position-unknown");
  let est = s.estimated_wait_s;
  if (est == null && s.office) est = s.office.estimated_wait_s;
  let text = t("waiting.estimate-unknown");
  if (est != null) text = est < 60 ? t("waiting.estimate-soon") : t("waiting.estimate", { duration: minutes(est) });
  $("estimated-wait").textContent = text;
}

/** The in-call screen's texts, photo preview and print status (video and chat elsewhere). */
export function inCall(s) {
  q("[data-call-heading]").textContent = s.caseworker
    ? t("call.heading", { name: s.caseworker }) : t("call.heading-anon");
  const fig = q("[data-photo]");
  const img = $("photo-preview");
  if (s.photo && s.photo.url) {
    if (img.getAttribute("src") !== s.photo.url) img.src = s.photo.url;
    fig.hidden = false;
  } else {
    fig.hidden = true;
    img.removeAttribute("src");
  }
  const key = s.print && PRINT[s.print.status];
  setText($("print-status"), key ? t(key) : "");
}

/** The thanks screen: why the call ended, when it was not a normal hang-up. */
export function thanks(s) {
  const key = REASONS[s.reason];
  setText(q("[data-reason]"), key ? t(key) : "");
}

/** The offline screen: the office's phone number and address from the terminal config. */
export function offline(s) {
  const c = s.contact || {};
  for (const [name, value] of [["office-phone", c.phone], ["office-address", c.address]]) {
    const dd = $(name);
    dd.textContent = value || "";
    dd.hidden = !value;
    dd.previousElementSibling.hidden = !value;
  }
  q("[data-contact-lead]").hidden = !(c.phone || c.address);
}

/** Wipe what the screens showed of the last citizen (photo, print status). */
export function wipe() {
  const img = $("photo-preview");
  img.removeAttribute("src");
  q("[data-photo]").hidden = true;
  setText($("print-status"), "");
}
