/*
 * The fleet view: the municipality's terminals from GET /api/v1/fleet, refreshed every few
 * seconds. Health is shown as a coloured badge AND a word (never colour alone); ages are
 * computed against the server's clock ("now" in the answer), so a skewed PC clock does not
 * make a live terminal look stale. Admins restart an online terminal with
 * POST /api/v1/terminals/<id>/restart (session CSRF token in X-CSRF-Token).
 * The update location (GET /api/v1/fleet/update, 404 = none) is shown to supervisors;
 * admins set it with PUT and clear it with DELETE. Each row marks whether the software the
 * terminal reports is the offered version, so staff can follow the rollout.
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
  var ACCESS = { "5gnr": "5G", lte: "LTE", umts: "UMTS", hsdpa: "HSPA", hsupa: "HSPA", hspa: "HSPA",
    "hspa-plus": "HSPA+", edge: "EDGE", gprs: "GPRS", gsm: "GSM" };
  var relative = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(lang, { numeric: "auto" }) : null;
  var timer = null;
  var updateBox = root.querySelector("[data-test=update]");
  var updateCurrent = root.querySelector("[data-test=update-current]");
  var updateRollout = root.querySelector("[data-test=update-rollout]");
  var updateForm = root.querySelector("[data-test=update-form]");
  var updateMessage = root.querySelector("[data-test=update-message]");
  var updateClear = root.querySelector("[data-test=update-clear]");
  var bundle = null; /* the update location, null when none is set */
  var lastFleet = null;

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

  /* The mobile kit's battery and LTE modem ("–" for a terminal without them). */
  function kitCell(entry) {
    var td = el("td", { "data-part": "kit" });
    var battery = entry.battery;
    var modem = entry.modem;
    if (!battery && !modem) {
      td.appendChild(el("span", { "data-test": "kit-none" }, "–"));
      return td;
    }
    if (battery) {
      var b = el("span", { "class": "kit-line", "data-test": "battery" });
      b.appendChild(el("span", { "class": "badge", "data-health": battery.health, "data-test": "health-battery" },
        t("fleet.kit.battery." + battery.health)));
      var bits = [];
      if (battery.level !== null && battery.level !== undefined) { bits.push(battery.level + " %"); }
      if (battery.charging !== null && battery.charging !== undefined) {
        bits.push(t(battery.charging ? "fleet.kit.charging" : "fleet.kit.on_battery"));
      }
      if (bits.length) { b.appendChild(el("span", { "class": "sub", "data-test": "battery-detail" }, bits.join(", "))); }
      td.appendChild(b);
    }
    if (modem) {
      var m = el("span", { "class": "kit-line", "data-test": "modem" });
      m.appendChild(el("span", { "class": "badge", "data-health": modem.health, "data-test": "health-modem" },
        t("fleet.kit.modem." + modem.health)));
      var parts = [];
      if (modem.access) { parts.push(ACCESS[modem.access] || modem.access.toUpperCase()); }
      if (modem.signal !== null && modem.signal !== undefined) { parts.push(t("fleet.kit.signal", { signal: modem.signal })); }
      if (modem.operator) { parts.push(modem.operator); }
      if (parts.length) { m.appendChild(el("span", { "class": "sub", "data-test": "modem-detail" }, parts.join(" · "))); }
      td.appendChild(m);
    }
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
    if (bundle && entry.software) {
      var current = runsVersion(entry.software, bundle.version);
      software.appendChild(el("span", { "class": "badge", "data-update": current ? "current" : "pending",
        "data-test": "update-state" }, t(current ? "fleet.update.badge_current" : "fleet.update.badge_pending")));
    }
    tr.appendChild(software);
    PARTS.forEach(function (part) {
      tr.appendChild(healthCell(part, entry.health[part] || "unknown", entry.parts[part]));
    });
    tr.appendChild(kitCell(entry));
    tr.appendChild(callCell(entry));
    if (canRestart) { tr.appendChild(restartCell(entry)); }
    return tr;
  }

  function render(body) {
    lastFleet = body;
    var focused = document.activeElement && document.activeElement.getAttribute("data-terminal");
    rows.textContent = "";
    body.terminals.forEach(function (entry) { rows.appendChild(row(entry, body.now)); });
    empty.hidden = body.terminals.length > 0;
    var online = body.terminals.filter(function (e) { return e.online; }).length;
    var faulty = body.terminals.filter(function (e) {
      return PARTS.some(function (p) { return e.health[p] === "failed" || e.health[p] === "missing"; });
    }).length;
    summary.textContent = t("fleet.summary", { online: online, total: body.terminals.length, faulty: faulty });
    showRollout();
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

  /* Same rule as console/update_offer.py: "bt-terminal/0.2.0" runs "0.2.0". */
  function runsVersion(software, version) {
    var s = String(software || "").trim(), v = String(version || "").trim();
    if (!s || !v) { return false; }
    return s === v || s.split("/").pop() === v.split("/").pop();
  }

  function sayUpdate(text, kind) {
    if (!updateMessage) { return; }
    updateMessage.textContent = text || "";
    updateMessage.setAttribute("data-kind", kind || "");
  }

  function showRollout() {
    if (!updateRollout) { return; }
    if (!bundle || !lastFleet) { updateRollout.textContent = ""; return; }
    var current = lastFleet.terminals.filter(function (e) { return runsVersion(e.software, bundle.version); }).length;
    updateRollout.textContent = t("fleet.update.rollout",
      { current: current, total: lastFleet.terminals.length, version: bundle.version });
  }

  function showLocation() {
    if (!updateBox) { return; }
    updateCurrent.textContent = "";
    if (!bundle) {
      updateCurrent.textContent = t("fleet.update.none");
    } else {
      updateCurrent.appendChild(el("strong", { "data-test": "update-version-shown" },
        t("fleet.update.current", { version: bundle.version })));
      updateCurrent.appendChild(el("span", { "class": "line mono", "data-test": "update-url-shown" }, bundle.url));
      if (bundle.sha256) {
        updateCurrent.appendChild(el("span", { "class": "line mono" }, "SHA-256 " + bundle.sha256));
      }
      updateCurrent.appendChild(el("span", { "class": "line sub" }, t("fleet.update.set_by",
        { name: bundle.set_by, time: new Date(bundle.set_at).toLocaleString(lang) })));
    }
    if (updateForm) {
      updateForm.elements.url.value = bundle ? bundle.url : "";
      updateForm.elements.version.value = bundle ? bundle.version : "";
      updateForm.elements.sha256.value = bundle && bundle.sha256 ? bundle.sha256 : "";
      updateClear.hidden = !bundle;
    }
    showRollout();
  }

  function loadUpdate() {
    if (!updateBox) { return Promise.resolve(); }
    return fetch("/api/v1/fleet/update", { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      if (res.status === 404) { return null; }
      if (!res.ok) { throw new Error(String(res.status)); }
      return res.json();
    }).then(function (body) {
      bundle = body;
      showLocation();
      if (lastFleet) { render(lastFleet); }
    }).catch(function () {
      updateCurrent.textContent = t("fleet.update.load_failed");
    });
  }

  function saveUpdate(event) {
    event.preventDefault();
    var url = updateForm.elements.url.value.trim();
    var version = updateForm.elements.version.value.trim();
    var sha = updateForm.elements.sha256.value.trim();
    if (!/^https:\/\/\S+$/.test(url) || !version || (sha && !/^[0-9a-fA-F]{64}$/.test(sha))) {
      sayUpdate(t("fleet.update.invalid"), "error");
      return;
    }
    fetch("/api/v1/fleet/update", {
      method: "PUT", credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
      body: JSON.stringify({ url: url, version: version, sha256: sha || null })
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) { return { res: res, body: body }; });
    }).then(function (out) {
      if (out.res.ok) {
        bundle = out.body.location;
        showLocation();
        sayUpdate(t("fleet.update.saved", { version: bundle.version, count: out.body.offered_to.length }), "ok");
        return load();
      }
      sayUpdate(t(out.res.status === 400 ? "fleet.update.invalid" : "fleet.update.failed"), "error");
    }).catch(function () { sayUpdate(t("fleet.update.failed"), "error"); });
  }

  function clearUpdate() {
    if (!window.confirm(t("fleet.update.clear_confirm"))) { return; }
    fetch("/api/v1/fleet/update", {
      method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrf }
    }).then(function (res) {
      if (res.ok || res.status === 404) {
        bundle = null;
        showLocation();
        sayUpdate(t("fleet.update.cleared"), "ok");
        return load();
      }
      sayUpdate(t("fleet.update.failed"), "error");
    }).catch(function () { sayUpdate(t("fleet.update.failed"), "error"); });
  }

  if (updateForm) {
    updateForm.addEventListener("submit", saveUpdate);
    updateClear.addEventListener("click", clearUpdate);
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(function () { load().then(schedule); }, refreshMs);
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { load(); }
  });
  loadUpdate().then(load).then(schedule);
})();
