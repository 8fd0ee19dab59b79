// The page's languages: catalogs from /i18n/<code>.json (gettext .po files on the daemon).
//
// Every visible word has a key: elements carry data-i18n="key" (text) or
// data-i18n-attr="attr:key;attr:key"; scripts call t(key, {params}). Numbers, weekdays,
// dates and minutes are formatted by the browser's Intl for the chosen language, so
// plural forms (Ukrainian, Arabic) come out right without plural catalogs.
"use strict";

const cache = new Map();
let current = null; // {code, name, dir, lang, messages}
let german = null;

async function fetchCatalog(code) {
  if (!cache.has(code)) {
    const res = await fetch(`/i18n/${encodeURIComponent(code)}.json`);
    if (!res.ok) throw new Error(`no catalog ${code}`);
    cache.set(code, await res.json());
  }
  return cache.get(code);
}

/** The current language code ("de", "ls", ...). */
export const code = () => (current ? current.code : "de");

/** The BCP 47 tag for Intl and speech ("ls" is German). */
export const locale = () => (current ? current.lang : "de");

/** The translated text of key, with {name} placeholders filled in. */
export function t(key, params) {
  const messages = (current && current.messages) || {};
  let text = messages[key];
  if (text === undefined) text = (german && german.messages[key]) || key;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? params[name] : m));
  return text;
}

/** The key whose German text is `text` among keys starting with prefix, or null. */
export function keyOfGerman(text, prefix) {
  if (!german) return null;
  for (const [key, value] of Object.entries(german.messages)) {
    if (key.startsWith(prefix) && value === text) return key;
  }
  return null;
}

/** Fill every data-i18n text and data-i18n-attr attribute under root. */
export function apply(root = document) {
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr, t(key));
    }
  });
  root.querySelectorAll("[data-hide-for]").forEach((el) => {
    el.hidden = el.dataset.hideFor === code();
  });
}

/** Switch the page to language code (falls back to German); resolves when applied. */
export async function use(code) {
  if (!german) german = await fetchCatalog("de");
  let lang;
  try {
    lang = await fetchCatalog(code || "de");
  } catch (err) {
    lang = german;
  }
  current = lang;
  const html = document.documentElement;
  html.lang = lang.lang;
  html.dir = lang.dir;
  html.dataset.language = lang.code;
  apply();
}

/** A number in the current language's digits. */
export const number = (n) => new Intl.NumberFormat(locale()).format(n);

/** "3 minutes" in the current language, with its plural rules. */
export function minutes(seconds) {
  const n = Math.max(1, Math.round(seconds / 60));
  return new Intl.NumberFormat(locale(), { style: "unit", unit: "minute", unitDisplay: "long" })
    .format(n);
}

/** The weekday name of ISO weekday n (1 = Monday). */
export function weekday(n) {
  const monday = Date.UTC(2024, 0, 1); // a Monday
  const day = new Date(monday + (n - 1) * 86400000);
  return new Intl.DateTimeFormat(locale(), { weekday: "long", timeZone: "UTC" }).format(day);
}

/** Day and time of epoch seconds in the office's time zone ("Montag, 1. Dezember, 08:00"). */
export function when(epochS, timeZone) {
  const opts = { weekday: "long", day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
  try {
    return new Intl.DateTimeFormat(locale(), { ...opts, timeZone }).format(new Date(epochS * 1000));
  } catch (err) {
    return new Intl.DateTimeFormat(locale(), opts).format(new Date(epochS * 1000));
  }
}

/** Today's ISO weekday (1 = Monday) in timeZone. */
export function today(timeZone) {
  const names = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
  try {
    const short = new Intl.DateTimeFormat("en-US", { weekday: "short", timeZone }).format(new Date());
    return names[short] || 0;
  } catch (err) {
    return 0;
  }
}

/** A local date "YYYY-MM-DD" as "Donnerstag, 24. Dezember" in the current language. */
export function date(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const opts = { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(Date.UTC(y, m - 1, d)));
}

/** A short date of a local "YYYY-MM-DD": "Tue, 3 Dec" in the current language. */
export function shortDate(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const opts = { weekday: "short", day: "numeric", month: "short", timeZone: "UTC" };
  return new Intl.DateTimeFormat(locale(), opts).format(new Date(Date.UTC(y, m - 1, d)));
}

/** Today's date "YYYY-MM-DD" in timeZone (the office's), or "" when the zone is unknown. */
export function todayIso(timeZone) {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" })
      .format(new Date());
  } catch (err) {
    return "";
  }
}
