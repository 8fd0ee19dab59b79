/* The mobile office's schedule (_visits.html): outpost consultation hours and home visits
 * through /api/v1/visits/outposts and /api/v1/visits/home. Everyone of the municipality
 * reads it; supervisors and admins (data-can-write) add, change the status and delete. Session
 * requests that change something carry the CSRF token in X-CSRF-Token. Data goes into the
 * page with textContent only, never as HTML. */
(function () {
  "use strict";
  var root = document.querySelector("[data-test=visits]");
  if (!root) { return; }
  var t = window.btI18n ? window.btI18n.t : function (k) { return k; };
  var lang = (window.btI18n && window.btI18n.lang) || "de";
  var csrf = root.getAttribute("data-csrf") || "";
  var write = root.getAttribute("data-can-write") === "true";
  var status = root.querySelector("[data-test=visits-status]");
  var STATUSES = ["planned", "done", "cancelled"];

  function api(method, path, body) { return window.btApi.request(csrf, method, path, body); }
  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", Boolean(isError));
  }
  function failed(err) { say(t("visits.error", { message: err.message }), true); }
  var el = window.btApi.el;
  function removeButton(path, label) {
    var b = el("button", { type: "button", "class": "quiet danger-text", "data-test": "visit-delete",
      "aria-label": t("visits.delete") + ": " + label, text: t("visits.delete") });
    b.addEventListener("click", function () {
      if (!window.confirm(t("visits.confirm.delete"))) { return; }
      api("DELETE", path).then(function () { say(t("visits.deleted")); load(); }).catch(failed);
    });
    return el("td", { "class": "actions" }, [b]);
  }
  function day(iso) {
    var p = iso.split("-").map(Number);
    return new Intl.DateTimeFormat(lang, { weekday: "short", day: "numeric", month: "short", year: "numeric", timeZone: "UTC" })
      .format(new Date(Date.UTC(p[0], p[1] - 1, p[2])));
  }

  function outpostRow(o) {
    var place = el("td", {}, [el("span", { "class": "line", text: o.place })]);
    if (o.address) { place.appendChild(el("span", { "class": "sub", text: o.address })); }
    var office = el("td", { text: o.office });
    if (o.queue) { office.appendChild(el("span", { "class": "sub", text: o.queue })); }
    return el("tr", { "data-test": "outpost", "data-id": String(o.id) }, [
      el("td", { text: day(o.day) }), el("td", { text: o.starts + "–" + o.ends }), place, office,
      el("td", { text: o.note || "" }),
      write ? removeButton("/api/v1/visits/outposts/" + o.id, o.place) : null
    ]);
  }
  function homeRow(v) {
    var when = new Date(v.at);
    var cells = [
      el("td", { text: when.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" }) + " · " + t("visits.minutes", { minutes: v.minutes }) }),
      el("td", { text: v.place }),
      el("td", { text: v.staff || t("visits.nobody") })
    ];
    if (write) {
      var choice = el("select", { "data-test": "home-status", "aria-label": t("visits.col.status") + ": " + v.place });
      STATUSES.forEach(function (s) {
        var option = el("option", { value: s, text: t("visits.status." + s) });
        option.selected = s === v.status;
        choice.appendChild(option);
      });
      choice.addEventListener("change", function () {
        api("PATCH", "/api/v1/visits/home/" + v.id, { status: choice.value })
          .then(function () { say(t("visits.saved")); }).catch(failed);
      });
      cells.push(el("td", {}, [choice]));
      cells.push(removeButton("/api/v1/visits/home/" + v.id, v.place));
    } else {
      cells.push(el("td", { text: t("visits.status." + v.status) }));
    }
    return el("tr", { "data-test": "home-visit", "data-id": String(v.id) }, cells);
  }
  function fill(name, rows, emptyName) {
    var body = root.querySelector("[data-test=" + name + "]");
    body.textContent = "";
    rows.forEach(function (r) { body.appendChild(r); });
    root.querySelector("[data-test=" + emptyName + "]").hidden = rows.length > 0;
  }
  function load() {
    return Promise.all([api("GET", "/api/v1/visits/outposts"), api("GET", "/api/v1/visits/home")])
      .then(function (both) {
        fill("outposts", both[0].outposts.map(outpostRow), "outposts-empty");
        fill("home-visits", both[1].home_visits.map(homeRow), "home-empty");
      }).catch(failed);
  }
  function options(select, items, blank) {
    select.textContent = "";
    if (blank) { select.appendChild(el("option", { value: "", text: blank })); }
    items.forEach(function (item) { select.appendChild(el("option", { value: String(item[0]), text: item[1] })); });
  }
  function values(form) {
    var out = {};
    new FormData(form).forEach(function (value, key) { out[key] = value; });
    return out;
  }

  if (write) {
    var outpostForm = root.querySelector("[data-test=outpost-form]");
    var homeForm = root.querySelector("[data-test=home-form]");
    api("GET", "/api/v1/offices").then(function (data) {
      options(outpostForm.querySelector("select"), data.offices.map(function (o) { return [o.id, o.name]; }));
    }).catch(failed);
    api("GET", "/api/v1/caseworkers").then(function (data) {
      var people = (data.caseworkers || []).filter(function (c) { return c.active !== false; });
      options(homeForm.querySelector("select"), people.map(function (c) { return [c.id, c.display_name]; }), t("visits.nobody"));
    }).catch(function () { options(homeForm.querySelector("select"), [], t("visits.nobody")); });
    outpostForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var v = values(outpostForm);
      api("POST", "/api/v1/visits/outposts", {
        office_id: Number(v.office_id), day: v.day, starts: v.starts, ends: v.ends,
        place: v.place, address: v.address || "", note: v.note || ""
      }).then(function () { say(t("visits.added")); outpostForm.reset(); load(); }).catch(failed);
    });
    homeForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var v = values(homeForm);
      var at = new Date(v.at);
      if (isNaN(at.getTime())) { failed(new Error(t("visits.col.when"))); return; }
      api("POST", "/api/v1/visits/home", {
        at: at.toISOString(), minutes: Number(v.minutes), place: v.place,
        caseworker_id: v.caseworker_id ? Number(v.caseworker_id) : null
      }).then(function () { say(t("visits.added")); homeForm.reset(); load(); }).catch(failed);
    });
  }
  load();
})();
