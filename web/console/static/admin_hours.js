/* Office hours on the administration page: one office's week (several spans per day) and
 * its holidays and special days, through /api/v1/offices/<id>/hours and .../exceptions.
 * admin.js calls window.btAdminHours(kit, office) for each office card and appends the
 * element it returns; kit carries admin.js's helpers (api, el, t, input, button, say,
 * readonly). Input is checked here first (times in order, no overlaps) so the usual
 * mistakes get a translated message; what the API still refuses is shown next to the form.
 * Supervisors get the same view read-only: inputs disabled, buttons hidden. */
(function () {
  "use strict";

  var DAYS = [1, 2, 3, 4, 5, 6, 7];

  function today() {
    var d = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate());
  }

  /* An API message about hours in the page's language, where its wording is known. */
  function explain(t, message) {
    var overlap = /(\S+ \d\d:\d\d-\d\d:\d\d) overlaps (\S+ \d\d:\d\d-\d\d:\d\d)/.exec(message);
    if (overlap) { return t("admin.hours.error.overlap", { first: overlap[1], second: overlap[2] }); }
    if (/must open before it closes/.test(message)) { return t("admin.hours.error.order"); }
    if (/cannot be a holiday and have special hours/.test(message)) { return t("admin.hours.error.mixed"); }
    return message;
  }

  function showError(box, t, err) {
    box.textContent = err ? explain(t, err.message || String(err)) : "";
    box.hidden = !err;
  }

  function weekEditor(kit, office, week, reload) {
    var t = kit.t, el = kit.el;
    var error = el("p", { "class": "form-error", role: "alert", "data-test": "hours-error", hidden: "" });
    var rows = {};

    function spanRow(day, span) {
      if (kit.readonly) { return el("span", { "class": "span-text", "data-test": "span-text", text: span.opens + "–" + span.closes }); }
      var opens = kit.input({ type: "time", value: span ? span.opens : "", required: "", "aria-label": t("admin.hours.opens"), "data-test": "opens" });
      var closes = kit.input({ type: "time", value: span ? span.closes : "", required: "", "aria-label": t("admin.hours.closes"), "data-test": "closes" });
      var line = el("div", { "class": "span-row", "data-span": "" }, [opens, el("span", { "aria-hidden": "true", text: "–" }), closes]);
      line.appendChild(kit.button("×", function () { line.remove(); markEmpty(); }, {
        "class": "quiet danger-text", "data-test": "remove-span", "aria-label": t("admin.hours.remove_span", { day: t("admin.hours.day." + day) })
      }));
      return line;
    }
    function dayRow(day) {
      var spans = el("div", { "class": "spans" }, week.filter(function (s) { return s.weekday === day; }).map(function (s) { return spanRow(day, s); }));
      var add = kit.button("+ " + t("admin.hours.add_span"), function () {
        var line = spanRow(day, null);
        spans.appendChild(line);
        markEmpty();
        line.querySelector("input").focus();
      }, { "class": "quiet", "data-test": "add-span" });
      rows[day] = spans;
      return el("tr", { "data-weekday": String(day) }, [
        el("th", { scope: "row", text: t("admin.hours.day." + day) }),
        el("td", {}, [el("div", { "class": "day-cell" }, [spans, el("span", { "class": "closed-word", text: t("admin.hours.closed") }), kit.readonly ? null : add])])
      ]);
    }
    function collect() {
      var out = [];
      DAYS.forEach(function (day) {
        var periods = Array.prototype.map.call(rows[day].querySelectorAll("[data-span]"), function (line) {
          var v = line.querySelectorAll("input");
          return { weekday: day, opens: v[0].value, closes: v[1].value };
        });
        periods.forEach(function (p) {
          if (!p.opens || !p.closes) { throw new Error(t("admin.hours.error.missing", { day: t("admin.hours.day." + day) })); }
          if (p.opens >= p.closes) { throw new Error(t("admin.hours.error.order_day", { day: t("admin.hours.day." + day), opens: p.opens, closes: p.closes })); }
        });
        periods.slice().sort(function (a, b) { return a.opens < b.opens ? -1 : 1; }).reduce(function (before, p) {
          if (before && p.opens < before.closes) { throw new Error(t("admin.hours.error.overlap_day", { day: t("admin.hours.day." + day) })); }
          return p;
        }, null);
        out = out.concat(periods);
      });
      return out;
    }
    var body = el("tbody", {}, DAYS.map(dayRow));
    var table = el("table", { "class": "admin-table hours-week", "data-test": "hours-week", "aria-label": t("admin.hours.week_of", { name: office.name }) }, [body]);
    /* no period anywhere means always open: then no day says "closed" */
    function markEmpty() { table.classList.toggle("always-open", !table.querySelector("[data-span]")); }
    markEmpty();
    var copy = kit.button(t("admin.hours.copy_monday"), function () {
      var monday = rows[1].querySelectorAll("[data-span]");
      [2, 3, 4, 5].forEach(function (day) {
        rows[day].textContent = "";
        Array.prototype.forEach.call(monday, function (line) {
          var v = line.querySelectorAll("input");
          rows[day].appendChild(spanRow(day, { opens: v[0].value, closes: v[1].value }));
        });
      });
      markEmpty();
    }, { "class": "quiet", "data-test": "copy-monday" });
    var save = kit.button(t("admin.hours.save_week"), function () {
      var spans;
      try { spans = collect(); } catch (err) { showError(error, t, err); return; }
      kit.api("PUT", "/api/v1/offices/" + office.id + "/hours", { week: spans }).then(function () {
        showError(error, t, null);
        kit.say(t("admin.hours.saved", { name: office.name }));
        return reload();
      }).catch(function (err) { showError(error, t, err); });
    }, { "class": "primary", "data-test": "save-hours" });
    return el("div", { "class": "hours-block" }, [
      el("h4", { text: t("admin.hours.week") }),
      el("p", { "class": "hint", text: week.length ? t("admin.hours.hint") : t("admin.hours.always_open") }),
      table,
      kit.readonly ? null : el("div", { "class": "action-row" }, [copy, save]),
      error
    ]);
  }

  function exceptionItem(kit, office, e, reload, error) {
    var t = kit.t, el = kit.el;
    var past = e.day < today();
    var when = new Date(e.day + "T12:00:00").toLocaleDateString(window.btI18n ? window.btI18n.lang : undefined,
      { weekday: "short", year: "numeric", month: "2-digit", day: "2-digit" });
    var what = e.opens ? t("admin.hours.special_times", { opens: e.opens, closes: e.closes }) : t("admin.hours.holiday_closed");
    var remove = kit.button(t("admin.delete"), function () {
      kit.api("DELETE", "/api/v1/offices/" + office.id + "/exceptions/" + e.id).then(function () {
        kit.say(t("admin.deleted", { name: e.day })); return reload();
      }).catch(function (err) { showError(error, t, err); });
    }, { "class": "quiet danger-text", "data-test": "remove-exception" });
    return el("li", { "class": past ? "past" : "", "data-exception": String(e.id), "data-day": e.day }, [
      el("span", { "class": "exception-day", text: when }),
      el("span", { "class": e.opens ? "exception-times" : "exception-closed", text: what }),
      el("span", { "class": "exception-note", text: e.note }),
      past ? el("span", { "class": "badge-past", text: t("admin.hours.past") }) : null,
      remove
    ]);
  }

  function exceptionEditor(kit, office, list, reload) {
    var t = kit.t, el = kit.el;
    var error = el("p", { "class": "form-error", role: "alert", "data-test": "exception-error", hidden: "" });
    var items = el("ul", { "class": "exception-list", "data-test": "exceptions" });
    var sorted = list.slice().sort(function (a, b) { return a.day < b.day ? -1 : a.day > b.day ? 1 : 0; });
    if (!sorted.length) { items.appendChild(el("li", { "class": "hint", text: t("admin.hours.no_exceptions") })); }
    sorted.forEach(function (e) { items.appendChild(exceptionItem(kit, office, e, reload, error)); });

    var day = el("input", { type: "date", name: "day", required: "", min: today(), "data-test": "exception-day" });
    var kind = el("select", { name: "kind", "data-test": "exception-kind" }, [
      el("option", { value: "holiday", text: t("admin.hours.kind.holiday") }),
      el("option", { value: "special", text: t("admin.hours.kind.special") })
    ]);
    var opens = el("input", { type: "time", name: "opens", "data-test": "exception-opens" });
    var closes = el("input", { type: "time", name: "closes", "data-test": "exception-closes" });
    var note = el("input", { name: "note", maxlength: "200", "data-test": "exception-note" });
    var times = el("label", { hidden: "" }, [document.createTextNode(t("admin.hours.times")),
      el("span", { "class": "span-row" }, [opens, el("span", { "aria-hidden": "true", text: "–" }), closes])]);
    kind.addEventListener("change", function () { times.hidden = kind.value !== "special"; });
    var form = el("form", { "class": "inline-form", "data-test": "exception-form", "data-write": "" }, [
      el("label", {}, [document.createTextNode(t("admin.hours.date")), day]),
      el("label", {}, [document.createTextNode(t("admin.hours.kind")), kind]),
      times,
      el("label", {}, [document.createTextNode(t("admin.hours.note")), note]),
      el("button", { type: "submit", "class": "primary", text: t("admin.hours.add_exception") })
    ]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var payload = { day: day.value, note: note.value };
      if (kind.value === "special") {
        if (!opens.value || !closes.value) { showError(error, t, new Error(t("admin.hours.error.times_needed"))); return; }
        if (opens.value >= closes.value) { showError(error, t, new Error(t("admin.hours.error.order"))); return; }
        payload.opens = opens.value;
        payload.closes = closes.value;
      }
      kit.api("POST", "/api/v1/offices/" + office.id + "/exceptions", payload).then(function () {
        showError(error, t, null);
        kit.say(t("admin.hours.exception_added", { day: payload.day }));
        return reload();
      }).catch(function (err) { showError(error, t, err); });
    });
    return el("div", { "class": "hours-block" }, [
      el("h4", { text: t("admin.hours.exceptions") }),
      el("p", { "class": "hint", text: t("admin.hours.exceptions_hint") }),
      items,
      kit.readonly ? null : form,
      error
    ]);
  }

  /* The hours part of one office card; it loads itself and reloads after each change. */
  window.btAdminHours = function (kit, office) {
    var box = kit.el("div", { "class": "office-hours", "data-test": "office-hours", "data-office-hours": String(office.id) });
    function load() {
      return Promise.all([
        kit.api("GET", "/api/v1/offices/" + office.id + "/hours"),
        kit.api("GET", "/api/v1/offices/" + office.id + "/exceptions")
      ]).then(function (r) {
        box.textContent = "";
        box.appendChild(weekEditor(kit, office, r[0].week, load));
        box.appendChild(exceptionEditor(kit, office, r[1].exceptions, loadExceptions));
      });
    }
    /* after a holiday is added or removed: only that list, so unsaved week edits stay */
    function loadExceptions() {
      return kit.api("GET", "/api/v1/offices/" + office.id + "/exceptions").then(function (r) {
        box.replaceChild(exceptionEditor(kit, office, r.exceptions, loadExceptions), box.lastChild);
      });
    }
    load().catch(function (err) { kit.say(kit.t("admin.error", { message: err.message }), true); });
    return box;
  };
})();
