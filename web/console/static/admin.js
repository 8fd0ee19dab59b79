/* The administration page: offices and queues, caseworkers, terminals, branding and the
 * person's own API tokens, all through the JSON API (/api/v1/...). Session requests that
 * change something carry the page's CSRF token in X-CSRF-Token. Supervisors see the same
 * page read-only (data-readonly): every [data-write] element is hidden. Data is put into
 * the page with textContent only, never as HTML. */
(function () {
  "use strict";
  var root = document.querySelector("[data-test=admin]");
  if (!root) { return; }
  var t = window.btI18n ? window.btI18n.t : function (k) { return k; };
  var csrf = root.getAttribute("data-csrf") || "";
  var readonly = root.getAttribute("data-readonly") === "true";
  var me = Number(root.getAttribute("data-me"));
  var statusLine = root.querySelector("[data-test=status]");
  var state = { offices: [], queues: [] };

  if (readonly) {
    root.querySelectorAll("[data-write]").forEach(function (el) { el.hidden = true; });
  }

  function api(method, path, body) {
    return window.btApi.request(csrf, method, path, body).catch(function (err) {
      if (err.status === undefined) { throw err; } // no answer at all
      var code = err.code;
      var known = code ? t("admin.error." + code) : "";
      var message = known && known !== "admin.error." + code ? known : err.message;
      if (code === "conflict" || code === "invalid" || code === "invalid_hours") { message += " (" + err.message + ")"; }
      throw new Error(message);
    });
  }

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }
  function failed(err) { say(t("admin.error", { message: err.message }), true); }

  var el = window.btApi.el;
  function button(label, handler, extra) {
    var b = el("button", Object.assign({ type: "button", text: label }, extra || {}));
    b.addEventListener("click", handler);
    if (readonly) { b.hidden = true; }
    return b;
  }
  function actionsCell(children) {
    return el("td", { "class": "actions" }, [el("div", { "class": "action-row" }, children)]);
  }
  function input(attrs) {
    var i = el("input", attrs);
    if (readonly) { i.disabled = true; }
    return i;
  }
  function select(name, options, value, label) {
    var s = el("select", { name: name, "aria-label": label });
    options.forEach(function (o) { s.appendChild(el("option", { value: String(o[0]), text: o[1], selected: String(o[0]) === String(value) })); });
    if (readonly) { s.disabled = true; }
    return s;
  }
  function formData(form) {
    var out = {};
    new FormData(form).forEach(function (value, key) { out[key] = value; });
    return out;
  }
  function when(stamp) {
    if (!stamp) { return t("admin.never"); }
    return new Date(stamp).toLocaleString(window.btI18n ? window.btI18n.lang : undefined);
  }
  function confirmed(text) { return window.confirm(text); }
  /* what admin_hours.js needs of this file */
  var kit = { api: api, el: el, t: t, input: input, button: button, say: say, readonly: readonly };

  /* --- offices and queues ------------------------------------------------------------ */
  function officeName(id) {
    var found = state.offices.filter(function (o) { return o.id === id; })[0];
    return found ? found.name : "–";
  }
  function fillOfficeSelects() {
    root.querySelectorAll("select[data-offices]").forEach(function (s) {
      var keep = s.value;
      s.textContent = "";
      state.offices.forEach(function (o) { s.appendChild(el("option", { value: String(o.id), text: o.name })); });
      if (keep) { s.value = keep; }
    });
  }
  function queueRow(q) {
    var name = input({ value: q.name, maxlength: "200", "aria-label": t("admin.field.name") });
    var routing = select("routing", [["longest_idle", t("admin.routing.longest_idle")], ["ring_all", t("admin.routing.ring_all")]], q.routing, t("admin.field.routing"));
    var wrap = input({ type: "number", min: "0", max: "3600", value: String(q.wrap_up_s), "aria-label": t("admin.field.wrap_up_s") });
    var ring = input({ type: "number", min: "5", max: "600", value: String(q.ring_s), "aria-label": t("admin.field.ring_s") });
    var limit = input({ type: "number", min: "30", max: "86400", value: String(q.answer_limit_s), "aria-label": t("admin.field.answer_limit_s") });
    var pos = input({ type: "number", min: "0", max: "1000", value: String(q.position), "aria-label": t("admin.field.position") });
    var save = button(t("admin.save"), function () {
      api("PATCH", "/api/v1/queues/" + q.id, {
        name: name.value, routing: routing.value, wrap_up_s: Number(wrap.value),
        ring_s: Number(ring.value), answer_limit_s: Number(limit.value), position: Number(pos.value)
      }).then(function () { say(t("admin.saved", { name: name.value })); return loadOffices(); }).catch(failed);
    });
    var remove = button(t("admin.delete"), function () {
      if (!confirmed(t("admin.confirm.delete", { name: q.name }))) { return; }
      api("DELETE", "/api/v1/queues/" + q.id).then(function () { say(t("admin.deleted", { name: q.name })); return loadOffices(); }).catch(failed);
    }, { "class": "quiet danger-text" });
    return el("tr", { "data-queue": String(q.id) }, [
      el("td", {}, [name]), el("td", {}, [routing]), el("td", {}, [wrap]), el("td", {}, [ring]),
      el("td", {}, [limit]), el("td", {}, [pos]), readonly ? null : actionsCell([save, remove])
    ]);
  }
  function officeCard(o) {
    var queues = state.queues.filter(function (q) { return q.office_id === o.id; });
    var name = input({ value: o.name, maxlength: "200", "aria-label": t("admin.field.name") });
    var zone = input({ value: o.timezone, maxlength: "64", "aria-label": t("admin.field.timezone") });
    var save = button(t("admin.save"), function () {
      api("PATCH", "/api/v1/offices/" + o.id, { name: name.value, timezone: zone.value })
        .then(function () { say(t("admin.saved", { name: name.value })); return loadOffices(); }).catch(failed);
    });
    var remove = button(t("admin.delete"), function () {
      if (!confirmed(t("admin.confirm.delete", { name: o.name }))) { return; }
      api("DELETE", "/api/v1/offices/" + o.id).then(function () { say(t("admin.deleted", { name: o.name })); return loadOffices(); }).catch(failed);
    }, { "class": "quiet danger-text" });
    var head = el("tr", {}, [
      el("th", { scope: "col", text: t("admin.field.queue") }), el("th", { scope: "col", text: t("admin.field.routing") }),
      el("th", { scope: "col", text: t("admin.field.wrap_up_s") }), el("th", { scope: "col", text: t("admin.field.ring_s") }),
      el("th", { scope: "col", text: t("admin.field.answer_limit_s") }), el("th", { scope: "col", text: t("admin.field.position") }),
      readonly ? null : el("th", { scope: "col", text: t("admin.field.actions") })
    ]);
    var body = el("tbody", {}, queues.map(queueRow));
    var titleId = "office-" + o.id;
    return el("article", { "class": "office-card", "data-office": String(o.id), "aria-labelledby": titleId }, [
      el("div", { "class": "office-head" }, [
        el("h3", { id: titleId, text: o.name }),
        el("div", { "class": "office-edit" }, [
          el("label", {}, [document.createTextNode(t("admin.field.name") + " "), name]),
          el("label", {}, [document.createTextNode(t("admin.field.timezone") + " "), zone]), save, remove])
      ]),
      el("div", { "class": "table-scroll" }, [el("table", { "class": "admin-table queues", "aria-label": t("admin.queues.of", { name: o.name }) }, [el("thead", {}, [head]), body])]),
      window.btAdminHours ? window.btAdminHours(kit, o) : null
    ]);
  }
  function loadOffices() {
    return Promise.all([api("GET", "/api/v1/offices"), api("GET", "/api/v1/queues")]).then(function (r) {
      state.offices = r[0].offices;
      state.queues = r[1].queues;
      var box = root.querySelector("[data-test=offices]");
      box.textContent = "";
      state.offices.forEach(function (o) { box.appendChild(officeCard(o)); });
      fillOfficeSelects();
      renderCaseworkers();
      renderTerminals();
    });
  }

  /* --- caseworkers ------------------------------------------------------------------- */
  var people = [];
  function roleSelect(value) {
    return select("role", [["caseworker", t("admin.role.caseworker")], ["supervisor", t("admin.role.supervisor")], ["admin", t("admin.role.admin")]], value, t("admin.field.role"));
  }
  function queueChecks(p) {
    var box = el("fieldset", { "class": "queue-checks" }, [el("legend", { "class": "visually-hidden", text: t("admin.field.queues") })]);
    state.queues.forEach(function (q) {
      var c = input({ type: "checkbox", value: String(q.id), checked: p.queue_ids.indexOf(q.id) >= 0 });
      box.appendChild(el("label", {}, [c, document.createTextNode(" " + q.name + " (" + officeName(q.office_id) + ")")]));
    });
    box.appendChild(el("p", { "class": "hint", text: t("admin.caseworkers.all_queues") }));
    return box;
  }
  function personRow(p) {
    var display = input({ value: p.display_name, maxlength: "200", "aria-label": t("admin.field.display_name") });
    var role = roleSelect(p.role);
    var active = input({ type: "checkbox", checked: p.active, "aria-label": t("admin.field.active") });
    var queues = queueChecks(p);
    var password = input({ type: "password", minlength: "8", autocomplete: "new-password", placeholder: t("admin.field.new_password"), "aria-label": t("admin.field.new_password") });
    var label = p.display_name;
    var actions = readonly ? null : actionsCell([
      button(t("admin.save"), function () {
        var ids = Array.prototype.map.call(queues.querySelectorAll("input:checked"), function (c) { return Number(c.value); });
        api("PATCH", "/api/v1/caseworkers/" + p.id, { display_name: display.value, role: role.value, active: active.checked, queue_ids: ids })
          .then(function () { say(t("admin.saved", { name: display.value })); return loadPeople(); }).catch(failed);
      }),
      el("span", { "class": "password-row" }, [password, button(t("admin.caseworkers.set_password"), function () {
        api("PUT", "/api/v1/caseworkers/" + p.id + "/password", { password: password.value })
          .then(function () { password.value = ""; say(t("admin.caseworkers.password_set", { name: label })); }).catch(failed);
      })]),
      button(t("admin.caseworkers.reset_2fa"), function () {
        if (!confirmed(t("admin.confirm.reset_2fa", { name: label }))) { return; }
        api("DELETE", "/api/v1/caseworkers/" + p.id + "/second-factor")
          .then(function () { say(t("admin.caseworkers.reset_done", { name: label })); return loadPeople(); }).catch(failed);
      }, { "class": "quiet" }),
      button(t("admin.caseworkers.sign_out"), function () {
        api("POST", "/api/v1/caseworkers/" + p.id + "/sign-out")
          .then(function () { say(t("admin.caseworkers.signed_out", { name: label })); }).catch(failed);
      }, { "class": "quiet" }),
      p.id === me ? null : button(t("admin.delete"), function () {
        if (!confirmed(t("admin.confirm.delete", { name: label }))) { return; }
        api("DELETE", "/api/v1/caseworkers/" + p.id).then(function () { say(t("admin.deleted", { name: label })); return loadPeople(); }).catch(failed);
      }, { "class": "quiet danger-text" })
    ]);
    return el("tr", { "data-caseworker": String(p.id) }, [
      el("td", { text: p.username }), el("td", {}, [display]), el("td", {}, [role]), el("td", {}, [active]),
      el("td", {}, [queues]), el("td", { text: p.second_factor ? t("admin.yes") : t("admin.no") }), actions
    ]);
  }
  function renderCaseworkers() {
    var body = root.querySelector("[data-test=caseworkers] tbody");
    body.textContent = "";
    people.forEach(function (p) { body.appendChild(personRow(p)); });
  }
  function loadPeople() {
    return api("GET", "/api/v1/caseworkers").then(function (data) { people = data.caseworkers; renderCaseworkers(); });
  }

  /* --- terminals --------------------------------------------------------------------- */
  var terminals = [];
  function showCode(name, code, expires) {
    var box = root.querySelector("[data-test=enrollment]");
    box.querySelector(".enrollment-label").textContent = t("admin.terminals.code_for", { name: name });
    box.querySelector("[data-test=enrollment-code]").textContent = code;
    box.querySelector(".enrollment-expires").textContent = t("admin.terminals.code_expires", { when: when(expires) });
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }
  function terminalRow(term) {
    var name = input({ value: term.name, maxlength: "200", "aria-label": t("admin.field.name") });
    var office = select("office_id", state.offices.map(function (o) { return [o.id, o.name]; }), term.office_id, t("admin.field.office"));
    var actions = readonly ? null : actionsCell([
      button(t("admin.save"), function () {
        api("PATCH", "/api/v1/admin/terminals/" + term.id, { name: name.value, office_id: Number(office.value) })
          .then(function () { say(t("admin.saved", { name: name.value })); return loadTerminals(); }).catch(failed);
      }),
      button(t("admin.terminals.new_code"), function () {
        api("POST", "/api/v1/admin/terminals/" + term.id + "/code")
          .then(function (c) { showCode(term.name, c.code, c.expires_at); }).catch(failed);
      }, { "class": "quiet" }),
      button(t("admin.delete"), function () {
        if (!confirmed(t("admin.confirm.delete", { name: term.name }))) { return; }
        api("DELETE", "/api/v1/admin/terminals/" + term.id).then(function () { say(t("admin.deleted", { name: term.name })); return loadTerminals(); }).catch(failed);
      }, { "class": "quiet danger-text" })
    ]);
    return el("tr", { "data-terminal": term.id }, [
      el("td", {}, [name]), el("td", {}, [office]),
      el("td", { text: term.kind === "mobile" ? t("kits.admin.mobile") : t("kits.admin.stationary") }),
      el("td", { text: term.enrolled ? t("admin.yes") : t("admin.terminals.waiting") }),
      el("td", { text: when(term.last_seen) }), actions
    ]);
  }
  function renderTerminals() {
    var body = root.querySelector("[data-test=terminals] tbody");
    body.textContent = "";
    terminals.forEach(function (term) { body.appendChild(terminalRow(term)); });
  }
  function loadTerminals() {
    return api("GET", "/api/v1/admin/terminals").then(function (data) { terminals = data.terminals; renderTerminals(); });
  }

  /* --- branding ---------------------------------------------------------------------- */
  var branding = root.querySelector("[data-test=branding-form]");
  function showColor() {
    branding.querySelector("[data-test=brand-color-text]").textContent = branding.elements.brand_color.value;
  }
  function loadBranding() {
    return api("GET", "/api/v1/municipality").then(function (m) {
      branding.elements.brand_color.value = m.brand_color || "#1f5fae";
      branding.elements.welcome_text.value = m.welcome_text || "";
      branding.elements.timezone.value = m.timezone;
      showColor();
    });
  }
  branding.elements.brand_color.addEventListener("input", showColor);
  if (readonly) { Array.prototype.forEach.call(branding.elements, function (e) { e.disabled = true; }); }

  /* --- tokens ------------------------------------------------------------------------ */
  function loadTokens() {
    return api("GET", "/api/v1/tokens").then(function (data) {
      var list = root.querySelector("[data-test=tokens]");
      list.textContent = "";
      if (!data.tokens.length) { list.appendChild(el("li", { "class": "hint", text: t("admin.tokens.none") })); }
      data.tokens.forEach(function (tok) {
        var revoke = el("button", { type: "button", "class": "quiet danger-text", text: t("admin.tokens.revoke") });
        revoke.addEventListener("click", function () {
          if (!confirmed(t("admin.confirm.delete", { name: tok.name }))) { return; }
          api("DELETE", "/api/v1/tokens/" + tok.id).then(loadTokens).catch(failed);
        });
        list.appendChild(el("li", {}, [el("span", { text: tok.name }),
          el("span", { "class": "hint", text: t("admin.tokens.expires", { when: tok.expires_at ? when(tok.expires_at) : t("admin.never") }) }), revoke]));
      });
    });
  }

  /* --- forms ------------------------------------------------------------------------- */
  function onSubmit(test, handler) {
    var form = root.querySelector("[data-test=" + test + "]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      handler(formData(form), form).catch(failed);
    });
  }
  onSubmit("office-form", function (d, form) {
    return api("POST", "/api/v1/offices", { name: d.name, timezone: d.timezone })
      .then(function (o) { form.reset(); say(t("admin.created", { name: o.name })); return loadOffices(); });
  });
  onSubmit("queue-form", function (d, form) {
    return api("POST", "/api/v1/queues", { office_id: Number(d.office_id), name: d.name, routing: d.routing })
      .then(function (q) { form.elements.name.value = ""; say(t("admin.created", { name: q.name })); return loadOffices(); });
  });
  onSubmit("caseworker-form", function (d, form) {
    return api("POST", "/api/v1/caseworkers", { username: d.username, display_name: d.display_name, password: d.password, role: d.role })
      .then(function (p) { form.reset(); say(t("admin.created", { name: p.display_name })); return loadPeople(); });
  });
  onSubmit("terminal-form", function (d, form) {
    var body = { name: d.name };
    if (d.office_id) { body.office_id = Number(d.office_id); }
    if (d.kind === "mobile") { body.kind = "mobile"; }
    return api("POST", "/api/v1/admin/terminals", body).then(function (c) {
      form.elements.name.value = "";
      showCode(c.terminal.name, c.enrollment.code, c.enrollment.expires_at);
      return loadTerminals();
    });
  });
  onSubmit("branding-form", function (d) {
    return api("PATCH", "/api/v1/municipality", { brand_color: d.brand_color, welcome_text: d.welcome_text || null, timezone: d.timezone })
      .then(function () { say(t("admin.branding.saved")); return loadBranding(); });
  });
  onSubmit("token-form", function (d, form) {
    var body = { name: d.name };
    if (d.days) { body.expires_in_days = Number(d.days); }
    return api("POST", "/api/v1/tokens", body).then(function (c) {
      form.elements.name.value = "";
      var box = root.querySelector("[data-test=new-token]");
      box.querySelector("[data-test=new-token-text]").textContent = c.token;
      box.hidden = false;
      return loadTokens();
    });
  });

  loadOffices().then(function () { return Promise.all([loadPeople(), loadTerminals(), loadBranding(), loadTokens()]); })
    .catch(failed);
})();
