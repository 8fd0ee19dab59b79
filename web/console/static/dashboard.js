/* The supervisors' dashboard: usage figures as HTML/CSS bars (no chart library: the CSP
 * allows only this origin) and, for admins, the audit log with CSV export.
 * Every chart is also text: tables with the numbers, or columns with a hidden label each,
 * so a screen reader reads what the bars show. Bar sizes are set through the CSSOM
 * (element.style), which the page's CSP permits, unlike style attributes in markup. */
(function () {
  "use strict";
  var t = window.btI18n.t;
  var lang = window.btI18n.lang;
  var page = document.querySelector(".dashboard");
  var form = document.querySelector("[data-test=range-form]");
  var fromInput = form.querySelector("[data-test=from]");
  var toInput = form.querySelector("[data-test=to]");
  var statusLine = document.querySelector("[data-test=status]");
  var config = {};
  try { config = JSON.parse(document.getElementById("dashboard-config").textContent || "{}"); } catch (e) { config = {}; }
  var OTHER = ["closed", "waiting"];

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function number(n) { return Number(n).toLocaleString(lang); }
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return t("usage.no_value");
    var s = Math.round(seconds);
    if (s < 60) return t("usage.seconds", { s: s });
    return t("usage.minutes", { m: Math.floor(s / 60), s: s % 60 });
  }
  function share(part, whole) { return whole ? Math.round((100 * part) / whole) : 0; }
  function isoDay(date) {
    var m = String(date.getMonth() + 1).padStart(2, "0");
    var d = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + m + "-" + d;
  }
  function dayLabel(iso, long) {
    var parts = iso.split("-");
    var date = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    var opts = long ? { weekday: "short", day: "numeric", month: "short" } : { day: "numeric", month: "numeric" };
    return date.toLocaleDateString(lang, opts);
  }
  async function getJson(url) {
    var response = await fetch(url, { headers: { Accept: "application/json" } });
    var body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      var message = body && body.error ? body.error.message : "HTTP " + response.status;
      throw new Error(message);
    }
    return body;
  }

  /* --- tiles ------------------------------------------------------------------------ */
  function tile(label, value, note, kind) {
    var box = el("div", "tile" + (kind ? " " + kind : ""));
    box.appendChild(el("div", "tile-label", label));
    box.appendChild(el("div", "tile-value", value));
    if (note) box.appendChild(el("div", "tile-note", note));
    return box;
  }
  function renderTiles(data) {
    var tiles = document.querySelector("[data-test=tiles]");
    clear(tiles);
    var n = data.totals.calls;
    tiles.appendChild(tile(t("usage.calls"), number(n), t("usage.transfers") + ": " + number(data.totals.transfers)));
    tiles.appendChild(tile(t("usage.answered"), number(data.totals.answered), t("usage.share", { share: share(data.totals.answered, n) }), "answered"));
    tiles.appendChild(tile(t("usage.abandoned"), number(data.totals.abandoned), t("usage.share", { share: share(data.totals.abandoned, n) }), "abandoned"));
    tiles.appendChild(tile(t("usage.callback"), number(data.totals.callback), t("usage.share", { share: share(data.totals.callback, n) }), "callback"));
    tiles.appendChild(tile(t("usage.wait_median"), duration(data.wait_s.median)));
    tiles.appendChild(tile(t("usage.wait_p90"), duration(data.wait_s.p90)));
    tiles.appendChild(tile(t("usage.abandoned_median"), duration(data.wait_s.abandoned_median)));
    tiles.appendChild(tile(t("usage.talk_median"), duration(data.talk_s.median)));
  }

  /* --- charts ----------------------------------------------------------------------- */
  function segments(track, item, max) {
    var parts = [["answered", item.answered], ["abandoned", item.abandoned], ["callback", item.callback],
      ["other", OTHER.reduce(function (sum, key) { return sum + (item[key] || 0); }, 0)]];
    parts.forEach(function (part) {
      if (!part[1]) return;
      var seg = el("span", "seg " + part[0]);
      seg.style[track.classList.contains("vertical") ? "height" : "width"] = (100 * part[1]) / max + "%";
      track.appendChild(seg);
    });
  }
  function columns(container, items, label, shortLabel, stacked) {
    clear(container);
    var max = Math.max(1, Math.max.apply(null, items.map(function (i) { return i.calls; })));
    var list = el("ol", "column-list");
    items.forEach(function (item) {
      var li = el("li", "column");
      li.appendChild(el("span", "visually-hidden", t("usage.bar", { label: label(item), calls: item.calls })));
      var value = el("span", "column-value", item.calls ? item.calls : "");
      value.setAttribute("aria-hidden", "true");
      li.appendChild(value);
      var track = el("span", "track vertical");
      track.setAttribute("aria-hidden", "true");
      track.title = t("usage.bar", { label: label(item), calls: item.calls });
      if (stacked) {
        segments(track, item, max);
      } else if (item.calls) {
        var seg = el("span", "seg plain");
        seg.style.height = (100 * item.calls) / max + "%";
        track.appendChild(seg);
      }
      li.appendChild(track);
      var tick = el("span", "column-label", shortLabel(item));
      tick.setAttribute("aria-hidden", "true");
      li.appendChild(tick);
      list.appendChild(li);
    });
    container.appendChild(list);
    container.classList.toggle("dense", items.length > 24);
  }
  function bars(table, items, heads, cells, stacked) {
    clear(table);
    var thead = el("thead");
    var row = el("tr");
    heads.forEach(function (h, i) {
      var th = el("th", i === 1 ? "bar-head" : "", Array.isArray(h) ? h[0] : h);
      if (Array.isArray(h)) th.title = h[1];
      th.scope = "col";
      row.appendChild(th);
    });
    thead.appendChild(row);
    table.appendChild(thead);
    var tbody = el("tbody");
    var max = Math.max(1, Math.max.apply(null, items.map(function (i) { return i.calls; }).concat([0])));
    items.forEach(function (item) {
      var tr = el("tr");
      var th = el("th", "bar-label", cells.label(item));
      th.scope = "row";
      tr.appendChild(th);
      var td = el("td", "bar-cell");
      var track = el("span", "track horizontal");
      track.setAttribute("aria-hidden", "true");
      if (stacked) {
        segments(track, item, max);
      } else if (item.calls) {
        var seg = el("span", "seg plain");
        seg.style.width = (100 * item.calls) / max + "%";
        track.appendChild(seg);
      }
      td.appendChild(track);
      tr.appendChild(td);
      tr.appendChild(el("td", "num", number(item.calls)));
      (cells.extra || []).forEach(function (extra) { tr.appendChild(el("td", "num", extra(item))); });
      tbody.appendChild(tr);
    });
    if (!items.length) {
      var empty = el("tr");
      var cell = el("td", "empty", t("usage.none"));
      cell.colSpan = heads.length;
      empty.appendChild(cell);
      tbody.appendChild(empty);
    }
    table.appendChild(tbody);
  }
  function outcomesText(item) {
    return number(item.answered) + " / " + number(item.abandoned) + " / " + number(item.callback);
  }
  function renderCharts(data) {
    columns(document.querySelector("[data-test=by-day]"), data.by_day,
      function (d) { return dayLabel(d.date, true); }, function (d) { return dayLabel(d.date, false); }, true);
    columns(document.querySelector("[data-test=by-hour]"), data.by_hour,
      function (h) { return t("usage.hour", { hour: h.hour }); },
      function (h) { return String(h.hour).padStart(2, "0"); }, false);
    bars(document.querySelector("[data-test=by-weekday]"), data.by_weekday,
      [t("usage.col_weekday"), "", t("usage.col_calls")],
      { label: function (w) { return t("usage.weekday_" + w.weekday); } }, false);
    bars(document.querySelector("[data-test=by-terminal]"), data.by_terminal,
      [t("usage.col_terminal"), "", t("usage.col_calls"), [t("usage.col_outcomes"), t("usage.col_outcomes_long")]],
      { label: function (x) { return x.name || t("usage.removed_terminal"); }, extra: [outcomesText] }, true);
    bars(document.querySelector("[data-test=by-queue]"), data.by_queue,
      [t("usage.col_queue"), "", t("usage.col_calls"), t("usage.col_wait")],
      {
        label: function (q) { return q.name ? (q.office ? q.name + " (" + q.office + ")" : q.name) : t("usage.no_queue"); },
        extra: [function (q) { return duration(q.wait_median_s); }],
      }, true);
  }

  async function loadUsage(query) {
    statusLine.textContent = t("usage.loading");
    statusLine.classList.remove("error");
    try {
      var data = await getJson("/api/v1/usage" + query);
      fromInput.value = data.from;
      toInput.value = data.to;
      renderTiles(data);
      renderCharts(data);
      statusLine.textContent = data.totals.calls ? "" : t("usage.none");
      document.querySelector("[data-test=timezone]").textContent = t("usage.timezone", { zone: data.timezone });
      page.dataset.loaded = "true";
    } catch (err) {
      statusLine.textContent = t("usage.error", { message: err.message });
      statusLine.classList.add("error");
    }
  }

  /* --- audit log (admins) ------------------------------------------------------------ */
  var audit = document.querySelector("[data-test=audit]");
  var auditBefore = null;
  function auditQuery(before) {
    var params = new URLSearchParams({ from: fromInput.value, to: toInput.value, limit: "50" });
    var action = audit.querySelector("[data-test=audit-action]").value;
    if (action) params.set("action", action);
    if (before) params.set("before", String(before));
    return params;
  }
  function actorText(entry) {
    if (entry.actor_kind === "system") return t("audit.actor_system");
    if (entry.actor_kind === "terminal") return entry.actor_name || t("audit.actor_terminal", { id: entry.actor_id });
    return entry.actor_name;
  }
  function actionText(action) {
    var key = "audit.action." + action;
    var text = t(key);
    return text === key ? action : text;
  }
  function detailText(detail) {
    return Object.keys(detail).filter(function (k) { return detail[k] !== null; })
      .map(function (k) { return k + "=" + detail[k]; }).join(", ");
  }
  async function loadAudit(more) {
    if (!audit) return;
    var rows = audit.querySelector("[data-test=audit-rows]");
    var status = audit.querySelector("[data-test=audit-status]");
    var moreButton = audit.querySelector("[data-test=audit-more]");
    if (!more) { clear(rows); auditBefore = null; }
    var params = auditQuery(more ? auditBefore : null);
    var exportParams = new URLSearchParams({ from: fromInput.value, to: toInput.value });
    audit.querySelector("[data-test=audit-export]").href = "/api/v1/audit.csv?" + exportParams.toString();
    try {
      var page = await getJson("/api/v1/audit?" + params.toString());
      page.entries.forEach(function (entry) {
        var tr = el("tr");
        var when = new Date(entry.at);
        var time = el("td", "num");
        var stamp = el("time", "", when.toLocaleString(lang, { dateStyle: "short", timeStyle: "medium" }));
        stamp.dateTime = entry.at;
        time.appendChild(stamp);
        tr.appendChild(time);
        tr.appendChild(el("td", "", actorText(entry)));
        var action = el("td", "", actionText(entry.action));
        action.title = entry.action;
        tr.appendChild(action);
        tr.appendChild(el("td", "", entry.target_kind ? entry.target_kind + " " + entry.target_id : ""));
        tr.appendChild(el("td", "detail", detailText(entry.detail)));
        rows.appendChild(tr);
      });
      auditBefore = page.next_before;
      moreButton.hidden = !page.next_before;
      status.textContent = rows.children.length ? "" : t("audit.empty");
      status.classList.remove("error");
    } catch (err) {
      status.textContent = t("audit.error", { message: err.message });
      status.classList.add("error");
    }
  }

  function query() {
    if (!fromInput.value || !toInput.value) return "";
    return "?" + new URLSearchParams({ from: fromInput.value, to: toInput.value }).toString();
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    loadUsage(query()).then(function () { loadAudit(false); });
  });
  form.querySelectorAll("[data-days]").forEach(function (button) {
    button.addEventListener("click", function () {
      var days = Number(button.dataset.days);
      var to = new Date();
      var from = new Date(to.getFullYear(), to.getMonth(), to.getDate() - (days - 1));
      fromInput.value = isoDay(from);
      toInput.value = isoDay(to);
      loadUsage(query()).then(function () { loadAudit(false); });
    });
  });
  if (audit) {
    audit.querySelector("[data-test=audit-intro]").textContent =
      t("audit.intro", { days: Number(config.audit_retention_days || 90) });
    audit.querySelector("[data-test=audit-action]").addEventListener("change", function () { loadAudit(false); });
    audit.querySelector("[data-test=audit-more]").addEventListener("click", function () { loadAudit(true); });
  }
  loadUsage("").then(function () { loadAudit(false); });
})();
