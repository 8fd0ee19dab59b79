// Kiosk page of the Bürgerterminal: shows the daemon's screens and sends the citizen's intents.
//
// The daemon owns all state, including which screen is shown; this page renders the
// snapshots it gets by Server-Sent Events (docs/kiosk-api.md) and posts intents as JSON.
// During a call it receives the caseworker on its own peer connection (js/rtc.js).
// Per-citizen things (language, chat, form fields, photo, display settings) are wiped
// whenever the screen becomes welcome; nothing goes to browser storage, and nothing is
// loaded from anywhere but the kiosk server.
"use strict";

import { $, post } from "./js/api.js";
import { activity } from "./js/activity.js";
import { callbackForm, chat } from "./js/forms.js";
import * as i18n from "./js/i18n.js";
import { preferences } from "./js/prefs.js";
import { screenLeg } from "./js/rtc.js";
import * as screens from "./js/screens.js";
import { captureTool } from "./js/capture.js";
import { staffScreens } from "./js/staff.js";

const SCREENS = ["welcome", "info", "closed", "waiting", "no-answer", "in-call", "thanks",
  "callback-sent", "offline", "staff-signin", "staff-home"];
const STATES = ["idle", "queued", "in-call", "ended", "offline"];
const FALLBACK = { idle: "welcome", queued: "waiting", "in-call": "in-call", ended: "thanks",
  offline: "offline" };

const boot = document.body.dataset.boot;
const main = $("state");
const video = $("remote-video");
const hangupBtn = $("hangup");
const kiosk = (window.btKiosk = {
  pc: null, state: null, screen: null, framesDecoded: 0, snapshot: null, language: "de",
});
const rtc = screenLeg(kiosk, video);
const prefs = preferences();
const idle = activity();
const talk = chat();
let callbackOpen = false; // no-answer: the citizen chose "call me back"
const callback = callbackForm(() => (kiosk.screen === "closed" ? "closed" : "no_answer"));
const staff = staffScreens(); // the mobile profile's screens
const capture = captureTool(); // the staff home's document capture
const linkQuality = $("link-quality"); // shown on welcome, or on a kit's staff home

// A public kiosk has no context menu (Chromium has no policy for it; see image/README.md).
document.addEventListener("contextmenu", (event) => event.preventDefault());

function section(name) {
  return main.querySelector(`section[data-screen="${name}"]`);
}

/** Put the one hang-up button and the one callback form where this screen wants them. */
function placeShared(name) {
  const sec = section(name);
  const slot = sec.querySelector('[data-slot="hangup"]');
  const parked = document.querySelector(".parked");
  if (slot) {
    slot.append(hangupBtn);
    hangupBtn.dataset.i18n = slot.dataset.label;
    hangupBtn.textContent = i18n.t(slot.dataset.label);
  } else {
    parked.append(hangupBtn);
  }
  const linkSlot = sec.querySelector('[data-slot="link"]'); // welcome and the staff home
  if (linkSlot) linkSlot.append(linkQuality);
  const formSlot = sec.querySelector('[data-slot="callback"]');
  const wantForm = name === "closed" || (name === "no-answer" && callbackOpen);
  if (formSlot && wantForm) formSlot.append(callback.form);
  else parked.append(callback.form);
  const choice = sec.querySelector("[data-no-answer-choice] [data-test=offer-callback]");
  if (choice) choice.hidden = callbackOpen;
}

function selfView(on) {
  const box = document.querySelector("[data-self-view]");
  if (on && !box.firstChild) {
    const img = document.createElement("img");
    img.dataset.test = "self-view";
    img.dataset.i18nAttr = "alt:call.self-view";
    img.alt = i18n.t("call.self-view");
    img.src = "/api/self-view";
    box.append(img);
  } else if (!on && box.firstChild) {
    box.firstChild.removeAttribute("src"); // ends the multipart stream
    box.replaceChildren();
  }
}

/** Forget everything of the last citizen (the screen became welcome). */
async function wipe() {
  talk.wipe();
  callback.wipe();
  screens.wipe();
  callbackOpen = false;
  clearTimeout(noticeTimer);
  noticeEl.hidden = true;
  closeLanguages(false);
  prefs.reset();
  video.volume = 0.8;
  $("volume").value = "80";
  if (i18n.code() !== "de") await i18n.use("de");
  kiosk.language = "de";
}

function fill(s) {
  const name = kiosk.screen;
  screens.brand(s.office);
  screens.battery(s.battery);
  if (name === "welcome") screens.welcome(s);
  if (name === "info") screens.info(s, chooseService);
  if (name === "closed") screens.closed(s);
  if (name === "waiting" || name === "no-answer") screens.waiting(s);
  if (name === "no-answer") screens.noAnswer(s);
  if (name === "in-call") screens.inCall(s);
  if (name === "thanks") screens.thanks(s);
  if (name === "offline") screens.offline(s);
  if (name === "staff-home") screens.linkQuality(s.state === "offline" ? null : s.link);
  if (name === "staff-signin" || name === "staff-home") staff.render(name, s.staff || {}, s.state === "offline");
  talk.render(s.chat, s.caseworker, false);
  callback.render(s.callback);
}

/** The citizen chose a service on the info screen: continue with it. */
function chooseService(queueId) {
  post("/api/continue", { language: i18n.code(), queue_id: queueId });
}

function spoken(sec) {
  const parts = [...sec.querySelectorAll("h1, .lead, [data-test=position], [data-test=estimated-wait]")];
  return parts.filter((el) => !el.hidden && el.textContent).map((el) => el.textContent).join(". ");
}

async function render(s) {
  const state = STATES.includes(s.state) ? s.state : "offline";
  const name = SCREENS.includes(s.screen) ? s.screen : FALLBACK[state];
  const changed = name !== kiosk.screen;
  kiosk.snapshot = s;
  kiosk.state = state;
  main.dataset.state = document.body.dataset.state = state;
  main.dataset.screen = document.body.dataset.screen = name;
  // The console gave up on the call (no_answer): nothing to wait for, the form at once.
  const gaveUp = name === "no-answer" && state !== "queued" && !callbackOpen;
  if (changed || gaveUp) {
    if (name === "welcome") await wipe();
    if (name === "staff-signin" || name === "staff-home") staff.wipe(); // no entry stays
    if (name !== "no-answer") callbackOpen = false;
    if (gaveUp) callbackOpen = true;
    if (name === "staff-home" || kiosk.screen === "staff-home") capture.shown(name === "staff-home");
    kiosk.screen = name;
    for (const sec of main.querySelectorAll("section")) sec.hidden = sec.dataset.screen !== name;
    placeShared(name);
    selfView(name === "in-call");
  }
  if (state !== "in-call") rtc.close();
  fill(s);
  idle.screen(name, changed, s.idle_timeout_s);
  if (changed) {
    const sec = section(name);
    const heading = sec.querySelector("h1");
    if (languageOverlay.hidden) heading.focus({ preventScroll: false });
    prefs.speak(spoken(sec));
  }
  kiosk.rendered = s; // tools and tests: the last snapshot fully rendered
}

// --- language choice ---------------------------------------------------------------
const languageBtn = $("language");
const languageOverlay = document.querySelector("[data-language-overlay]");
const background = [document.querySelector(".toolbar"), main];

function openLanguages() {
  languageOverlay.hidden = false;
  languageBtn.setAttribute("aria-expanded", "true");
  background.forEach((el) => (el.inert = true));
  const current = languageOverlay.querySelector(`[data-code="${i18n.code()}"]`);
  languageOverlay.querySelectorAll("[data-code]").forEach((b) =>
    b.setAttribute("aria-current", String(b === current)));
  (current || languageOverlay.querySelector("button")).focus();
}

function closeLanguages(refocus = true) {
  if (languageOverlay.hidden) return;
  languageOverlay.hidden = true;
  languageBtn.setAttribute("aria-expanded", "false");
  background.forEach((el) => (el.inert = false));
  if (refocus) languageBtn.focus();
}

async function chooseLanguage(code) {
  await i18n.use(code);
  kiosk.language = i18n.code();
  prefs.refresh();
  callback.relabel();
  capture.relabel();
  if (kiosk.snapshot) {
    placeShared(kiosk.screen);
    fill(kiosk.snapshot);
    talk.render(kiosk.snapshot.chat, kiosk.snapshot.caseworker, true);
  }
  closeLanguages();
  prefs.speak(spoken(section(kiosk.screen)));
}

languageBtn.addEventListener("click", openLanguages);
$("language-close").addEventListener("click", () => closeLanguages());
languageOverlay.addEventListener("click", (ev) => {
  const btn = ev.target.closest("[data-code]");
  if (btn) chooseLanguage(btn.dataset.code);
});
document.addEventListener("keydown", (ev) => {
  if (ev.key === "Escape" && !languageOverlay.hidden) closeLanguages();
});

// --- idle overlay keeps the rest inert while it shows ------------------------------
const idleOverlay = document.querySelector("[data-idle-overlay]");
new MutationObserver(() => {
  if (languageOverlay.hidden) background.forEach((el) => (el.inert = !idleOverlay.hidden));
}).observe(idleOverlay, { attributes: true, attributeFilter: ["hidden"] });

// --- notices ------------------------------------------------------------------------
const noticeEl = $("notice");
let noticeTimer = null;
function showNotice(data) {
  const key = data.key ? `notice.${data.key}` : i18n.keyOfGerman(data.text, "notice.");
  noticeEl.textContent = key ? i18n.t(key) : data.text;
  noticeEl.hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => (noticeEl.hidden = true), 3000);
}

// --- intents --------------------------------------------------------------------------
$("call").addEventListener("click", () => post("/api/call"));
$("continue").addEventListener("click", () => post("/api/continue", { language: i18n.code() }));
hangupBtn.addEventListener("click", () => post("/api/hangup"));
$("keep-waiting").addEventListener("click", () => post("/api/keep-waiting"));
$("offer-callback").addEventListener("click", () => {
  callbackOpen = true;
  placeShared(kiosk.screen);
  callback.focus();
});
document.querySelectorAll("[data-reset]").forEach((b) =>
  b.addEventListener("click", () => post("/api/reset")));
$("volume").addEventListener("input", (ev) => (video.volume = Number(ev.target.value) / 100));

// --- events from the daemon ------------------------------------------------------------
let queue = Promise.resolve(); // snapshots render in order, even across a language load
function connect() {
  const events = new EventSource("/api/events");
  events.addEventListener("state", (ev) => {
    const s = JSON.parse(ev.data);
    if (s.boot && boot && s.boot !== boot) {
      location.reload(); // the daemon restarted: load its current page
      return;
    }
    queue = queue.then(() => render(s)).catch((err) => console.warn("render", err));
  });
  events.addEventListener("screen-offer", (ev) => {
    const data = JSON.parse(ev.data);
    rtc.offer(data.ice_servers, data.ice_transport_policy).catch((err) => console.warn("screen offer", err));
  });
  events.addEventListener("screen-answer", (ev) => rtc.answer(JSON.parse(ev.data).sdp));
  events.addEventListener("screen-close", rtc.close);
  events.addEventListener("notice", (ev) => showNotice(JSON.parse(ev.data)));
  events.onerror = () => {
    events.close();
    const last = kiosk.snapshot || {};
    queue = queue.then(() => render({ ...last, state: "offline", screen: "offline" }));
    setTimeout(connect, 1000);
  };
}

// A mobile-office visit that ends while the welcome screen shows gives way to the next one
// without waiting for a new snapshot (each visit carries its end, ends_at).
setInterval(() => {
  if (kiosk.snapshot && kiosk.screen === "welcome") screens.mobileOffice(kiosk.snapshot.visits);
}, 60_000);

video.volume = 0.8;
i18n.use("de").finally(connect);
