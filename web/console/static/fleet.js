/*
 * The fleet view: the municipality's terminals from GET /api/v1/fleet, refreshed every few
 * seconds. Health is shown as a coloured badge AND a word (never colour alone); ages are
 * computed against the server's clock ("now" in the answer), so a skewed PC clock does not
 * make a live terminal look stale. Admins restart an online terminal with
 * POST /api/v1/terminals/<id>/restart (session CSRF token in X-CSRF-Token).
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-test=fleet]");
  if (!root) { return; }
  var t = window.btI18n ? window.btI18n.t : function (key) { return key; };
  var lang = (window.btI18n && window.btI18n.lang) || document.documentElement.lang || "de";
  var canRestart = root.getAttribute("data-can-restart") === "true";
  var csrf = root.getAttribute("data-csrf") || "";
  var refreshMs = Math.max(2, Number(root.getAttribute("data-refresh-s")) || 5) * 1000;
  var rows = root.querySelector("[data-test=fleet-rows]");
  var empty = root.querySelector("[data-test=fleet-empty]");
  var summary = root.querySelector("[data-test=fleet-summary]");
  var updated = root.querySelector("[data-test=fleet-updated]");
  var message = root.querySelector("[data-test=fleet-message]");
  var PARTS = ["camera", "microphone", "speaker", "card_reader", "printer"];
  var CARDS = { eid: true, egk: true, girocard: true, unknown: true };
  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var timer = null;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function say(text, kind) {
    message.textContent = text || "";
    message.setAttribute("data-kind", kind || "");
  }

  function ago(seconds) {
    if (!relative) { return Math.round(seconds) + " s"; }
    var s = Math.max(0, Math.round(seconds));
    if (s < 60) { return relative.format(-s, "second"); }
    if (s < 3600) { return relative.format(-Math.round(s / 60), "minute"); }
    if (s < 86400) { return relative.format(-Math.round(s / 3600), "hour"); }
    return relative.format(-Math.round(s / 86400), "day");
  }

  function healthCell(part, health, raw) {
    var td = el("td", { "data-part": part });
    var badge = el("span", { "class": "badge", "data-health": health, "data-test": "health-" + part },
      t("fleet.health." + health));
    td.appendChild(badge);
    if (part === "card_reader" && raw && CARDS[raw]) {
      td.appendChild(el("span", { "class": "sub" }, t("fleet.card_inserted", { card: t("fleet.card." + raw) })));
    } else if (health === "unknown" && raw) {
      td.appendChild(el("span", { "class": "sub mono" }, raw));
    }
    return td;
  }

  function stateCell(entry, now) {
    var td = el("td");
    td.appendChild(el("span", { "class": "badge", "data-state": entry.online ? "online" : "offline",
      "data-test": "online" }, t(entry.online ? "fleet.online" : "fleet.offline")));
    var text;
    if (entry.online) {
      text = t("fleet.now_connected");
    } else if (entry.last_seen === null || entry.last_seen === undefined) {
      text = t("fleet.never");
    } else {
      text = ago(now - entry.last_seen);
    }
    var seen = el("span", { "class": "sub", "data-test": "last-seen" }, text);
    if (entry.last_seen) { seen.title = new Date(entry.last_seen * 1000).toLocaleString(lang); }
    td.appendChild(seen);
    return td;
  }

  function callCell(entry) {
    var td = el("td");
    if (entry.call) {
      td.appendChild(el("span", { "class": "badge", "data-call": entry.call, "data-test": "call" },
        t("fleet.call." + entry.call)));
    } else {
      td.appendChild(el("span", { "data-test": "call" }, t("fleet.call.none")));
    }
    return td;
  }

  function restartCell(entry) {
    var td = el("td");
    if (!entry.online) { return td; }
    var button = el("button", { type: "button", "data-test": "restart", "data-terminal": entry.terminal_id,
      "aria-label": t("fleet.restart.label", { name: entry.name }) }, t("fleet.restart.button"));
    button.addEventListener("click", function () { restart(entry, button); });
    td.appendChild(button);
    return td;
  }

  function row(entry, now) {
    var tr = el("tr", { "data-test": "fleet-row", "data-terminal": entry.terminal_id,
      "data-online": entry.online ? "true" : "false" });
    var name = el("th", { scope: "row" }, entry.name);
    name.appendChild(el("span", { "class": "sub", "data-test": "office" }, entry.office || "–"));
    name.appendChild(el("span", { "class": "sub mono" }, entry.terminal_id));
    tr.appendChild(name);
    tr.appendChild(stateCell(entry, now));
    var software = el("td", { "class": "mono" });
    software.appendChild(el("span", { "class": "line", "data-test": "software" }, entry.software || "–"));
    software.appendChild(el("span", { "class": "sub mono", "data-test": "ip" }, entry.ip || "–"));
    tr.appendChild(software);
    PARTS.forEach(function (part) {
      tr.appendChild(healthCell(part, entry.health[part] || "unknown", entry.parts[part]));
    });
    tr.appendChild(callCell(entry));
    if (canRestart) { tr.appendChild(restartCell(entry)); }
    return tr;
  }

  function render(body) {
    var focused = document.activeElement && document.activeElement.getAttribute("data-terminal");
    rows.textContent = "";
    body.terminals.forEach(function (entry) { rows.appendChild(row(entry, body.now)); });
    empty.hidden = body.terminals.length > 0;
    var online = body.terminals.filter(function (e) { return e.online; }).length;
    var faulty = body.terminals.filter(function (e) {
      return PARTS.some(function (p) { return e.health[p] === "failed" || e.health[p] === "missing"; });
    }).length;
    summary.textContent = t("fleet.summary", { online: online, total: body.terminals.length, faulty: faulty });
    updated.textContent = t("fleet.updated", { time: new Date().toLocaleTimeString(lang) });
    if (focused) {
      var again = rows.querySelector('button[data-terminal="' + focused.replace(/"/g, "") + '"]');
      if (again) { again.focus(); }
    }
  }

  function load() {
    return fetch("/api/v1/fleet", { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (res.status === 401) { window.location.assign("/login"); return null; }
      if (!res.ok) { throw new Error(String(res.status)); }
      return res.json();
    }).then(function (body) {
      if (body) { render(body); if (message.getAttribute("data-kind") === "stale") { say(""); } }
    }).catch(function () {
      say(t("fleet.load_failed"), "stale");
    });
  }

  function restart(entry, button) {
    if (!window.confirm(t("fleet.restart.confirm", { name: entry.name }))) { return; }
    button.disabled = true;
    fetch("/api/v1/terminals/" + encodeURIComponent(entry.terminal_id) + "/restart", {
      method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { res: res, body: body }; });
    }).then(function (out) {
      if (out.res.status === 202) {
        var key = out.body.call_running ? "fleet.restart.after_call" : "fleet.restart.sent";
        say(t(key, { name: entry.name }), "ok");
      } else if (out.res.status === 409) {
        say(t("fleet.restart.offline", { name: entry.name }), "error");
      } else {
        say(t("fleet.restart.failed", { name: entry.name }), "error");
      }
      return load();
    }).catch(function () {
      button.disabled = false;
      say(t("fleet.restart.failed", { name: entry.name }), "error");
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { load().then(schedule); }, refreshMs);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { load(); }
  });
  load().then(schedule);
})();
