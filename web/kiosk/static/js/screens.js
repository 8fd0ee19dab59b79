// What each screen shows of a snapshot (docs/kiosk-api.md): texts, figures, media.
//
// Pure rendering: kiosk.js decides which section is visible and wires the intents;
// these functions fill the section of the current screen from the daemon's snapshot.
"use strict";

import { $ } from "./api.js";
import { date, minutes, number, shortDate, t, today, todayIso, weekday, when } from "./i18n.js";

const REASONS = {
  cancelled: "reason.cancelled",
  media_failed: "reason.media_failed",
  caseworker_lost: "reason.caseworker_lost",
  terminal_lost: "reason.terminal_lost",
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
  // No weekly hours at all: the office is always reachable; seven "closed" days would say otherwise.
  q("[data-weekly-hours]").hidden = !(office.hours || []).length;
  const now = today(office.timezone);
  // A holiday or special hours today replace today's weekly hours in the list.
  const iso = todayIso(office.timezone);
  const special = (office.exceptions || []).filter((e) => e.day === iso);
  const items = [];
  for (let day = 1; day <= 7; day++) {
    let spans = office.hours.filter((h) => h.weekday === day);
    if (day === now && special.length) spans = special.filter((e) => e.opens && e.closes);
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

/** Holidays and special hours of the coming weeks, one line per date, into a list. */
function exceptions(list, office) {
  const days = new Map();
  for (const e of (office && office.exceptions) || []) {
    if (!days.has(e.day)) days.set(e.day, []);
    days.get(e.day).push(e);
  }
  const items = [];
  for (const [day, rows] of days) {
    const li = document.createElement("li");
    const name = document.createElement("span");
    name.className = "day";
    name.textContent = date(day);
    const times = document.createElement("span");
    times.className = "times";
    const open = rows.filter((e) => e.opens && e.closes);
    if (open.length) {
      for (const e of open) {
        const span = document.createElement("span");
        span.textContent = t("office.span", { opens: e.opens, closes: e.closes });
        times.append(span);
      }
    } else {
      times.textContent = t("office.day-closed");
      li.classList.add("shut");
    }
    const note = rows.map((e) => e.note).filter(Boolean).join(", ");
    if (note) {
      const small = document.createElement("span");
      small.className = "note";
      small.lang = "de"; // written by the municipality, in German
      small.textContent = note;
      name.append(small);
    }
    li.append(name, times);
    items.push(li);
  }
  list.replaceChildren(...items);
  list.closest("[data-exceptions]").hidden = !items.length;
}

let servicesKey = ""; // rebuild the buttons only when the offered services change

/** The info screen: with several services, one big button each instead of "continue". */
export function info(s, choose) {
  const services = (s.office && s.office.services) || [];
  const several = services.length > 1;
  q("[data-services]").hidden = !several;
  $("continue").hidden = several;
  q("[data-camera-continue]").hidden = several; // the privacy promise names the right button
  q("[data-camera-service]").hidden = !several;
  const key = JSON.stringify(services);
  if (key === servicesKey) return;
  servicesKey = key;
  const items = services.map((svc) => {
    const li = document.createElement("li");
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "service";
    btn.dataset.test = `service-${svc.queue_id}`;
    btn.lang = "de"; // the municipality names its services in German
    btn.textContent = svc.name;
    btn.addEventListener("click", () => choose(svc.queue_id));
    li.append(btn);
    return li;
  });
  $("services").replaceChildren(...items);
}

const COLOR = /^#[0-9a-fA-F]{6}$/;

/** The municipality's accent colour as --brand-color (stripes only, never text or buttons).
 *  A custom property set from here, because the kiosk's CSP forbids inline styles. */
export function brand(office) {
  const color = office && office.brand_color;
  const root = document.documentElement.style;
  if (typeof color === "string" && COLOR.test(color)) root.setProperty("--brand-color", color);
  else root.removeProperty("--brand-color");
}

/** The welcome screen: the municipality's own line, office name and state, figures, hours. */
export function welcome(s) {
  const office = s.office;
  // The municipality's own words: plain text, shown as written in every language.
  setText($("welcome-text"), (office && office.welcome_text) || "");
  mobileOffice(s.visits);
  const box = q("[data-office]");
  box.hidden = !office;
  if (!office) return;
  setText($("office-name"), office.office || "");
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
  exceptions($("office-exceptions"), office);
  linkQuality(s.link);
}

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The mobile office's next outpost hours that have not ended: "Mobile office: Tue, 3 Dec,
 *  9:00–12:00, Gemeindehaus Oberdorf" (place, address and note as the municipality wrote
 *  them, in German), or nothing. */
export function mobileOffice(visits, now = Date.now() / 1000) {
  const box = q("[data-mobile-office]");
  const next = (visits || []).find((v) => v && ISO_DAY.test(v.day) && v.ends_at > now);
  box.hidden = !next;
  if (!next) return;
  const times = t("office.span", { opens: next.starts, closes: next.ends });
  const place = [next.place, next.address].filter(Boolean).join(", ");
  $("mobile-office-when").textContent = t("mobile.next", { day: shortDate(next.day), times });
  $("mobile-office-place").textContent = place;
  setText($("mobile-office-note"), next.note || "");
}

/** The kit's battery: a warning on every screen while it is low and not charging. */
export function battery(power) {
  const low = Boolean(power && power.low && !power.charging);
  const el = $("battery-low");
  el.hidden = !low;
  if (low) el.textContent = t("battery.low", { level: number(power.level) });
}
const LINK = { good: "link.good", fair: "link.fair", poor: "link.poor" };

/** The link to the console as the daemon measured it (shown to staff before a call). */
export function linkQuality(link) {
  const box = $("link-quality");
  box.hidden = !link || !LINK[link.verdict];
  if (box.hidden) return;
  box.dataset.verdict = link.verdict;
  q("[data-link-verdict]").textContent = t(LINK[link.verdict]);
  q("[data-link-figures]").textContent = t("link.figures", { rtt: number(link.rtt_ms), loss: number(link.loss_pct) });
}

const QUALITY = { reduced: "call.quality-reduced", low: "call.quality-low", audio_only: "call.quality-audio-only" };

/** The closed screen: when the office opens next, and the coming holidays. */
export function closed(s) {
  setText(q("[data-closed-next]"), nextOpen(s.office));
  exceptions($("closed-exceptions"), s.office);
}

/** The no-answer screen: still waiting (choose), or the console gave up (callback only). */
export function noAnswer(s) {
  const over = s.state !== "queued";
  q("[data-waiting-lead]").hidden = over;
  q("[data-ended-lead]").hidden = !over;
  q("[data-no-answer-choice]").hidden = over;
  const sec = q('section[data-screen="no-answer"]');
  sec.classList.toggle("ended", over);
  // Nothing to cancel once the console ended the call: the button says "back".
  const slot = sec.querySelector(':scope > .actions > [data-slot="hangup"]');
  slot.dataset.label = over ? "common.back" : "common.cancel";
  const btn = slot.querySelector("button");
  if (btn) {
    btn.dataset.i18n = slot.dataset.label;
    btn.textContent = t(slot.dataset.label);
  }
}

/** The waiting screen: to whom a transferred call goes, the service, position and wait. */
export function waiting(s) {
  const tr = s.transfer;
  let handed = "";
  if (tr && tr.kind === "caseworker") handed = t("transfer.to-caseworker", { name: tr.to });
  else if (tr) handed = t("transfer.to-queue", { queue: tr.to });
  setText($("transfer"), handed);
  const several = s.office && s.office.services && s.office.services.length > 1;
  setText($("queue-name"), s.queue && several && !tr ? t("waiting.queue", { queue: s.queue }) : "");
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
  // The console link was lost mid-call: the call is held while the daemon reconnects. Chat
  // lines typed meanwhile could not be sent, so the chat waits too (what is typed stays).
  $("reconnecting").hidden = !s.reconnecting;
  // The terminal lowered the video it sends to fit a poor link (the sound goes on).
  const quality = s.call_quality && QUALITY[s.call_quality.level];
  const badge = $("call-quality");
  badge.dataset.level = quality ? s.call_quality.level : "full";
  setText(badge, quality ? t(quality) : "");
  $("chat-send").disabled = !!s.reconnecting;
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
