/*
 * The case inbox panel (plain JS, loaded after console.js and zoom.js).
 *
 * Lists the municipality's saved document photos (GET /api/v1/documents), newest first,
 * with terminal, time, who saved it, size and when it will be deleted. "View" opens a
 * modal <dialog> with the decrypted photo in a zoomable frame (zoom.js); Escape or "Close"
 * ends it and focus returns to the button that opened it. "Delete" asks first, then sends
 * DELETE with the session's CSRF token. The list reloads after a save (photos.js calls
 * btConsole.inbox.refresh), after a delete, on "Refresh" and every minute, so colleagues'
 * saves show up.
 */
(function () {
  "use strict";

  var REFRESH_MS = 60000;
  var api = window.btConsole;
  var t = function (key, values) { return window.btI18n.t(key, values); };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    list: $("inbox"), empty: $("inbox-empty"), count: $("inbox-count"), refresh: $("inbox-refresh"),
    viewer: $("viewer"), title: $("viewer-title"), body: $("viewer-body"), close: $("viewer-close")
  };
  var zoom = window.btZoom.create("", "");
  el.body.appendChild(zoom.root);
  var opener = null;
  var loading = false;
  var layout = document.querySelector("main.layout");
  var role = layout ? layout.getAttribute("data-role") || "caseworker" : "caseworker";
  var myId = layout ? Number(layout.getAttribute("data-caseworker-id")) || null : null;

  // The console decides (403 otherwise); the button is only offered where it would succeed.
  function mayDelete(doc) {
    return role === "supervisor" || role === "admin" || myId === null || doc.saved_by_id === myId;
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function when(iso) {
    var date = new Date(iso);
    try {
      return new Intl.DateTimeFormat(window.btI18n.lang, { dateStyle: "short", timeStyle: "short" })
        .format(date);
    } catch (err) {
      return date.toLocaleString();
    }
  }

  function day(iso) {
    try {
      return new Intl.DateTimeFormat(window.btI18n.lang, { dateStyle: "medium" }).format(new Date(iso));
    } catch (err) {
      return new Date(iso).toLocaleDateString();
    }
  }

  function bytes(n) {
    var lang = window.btI18n.lang;
    if (n >= 1024 * 1024) { return (n / 1024 / 1024).toLocaleString(lang, { maximumFractionDigits: 1 }) + " MB"; }
    return Math.max(1, Math.round(n / 1024)).toLocaleString(lang) + " kB";
  }

  function line(cls, text) {
    var span = document.createElement("span");
    span.className = cls;
    span.textContent = text;
    return span;
  }

  function item(doc) {
    var li = document.createElement("li");
    li.className = "inbox-item";
    li.setAttribute("data-test", "inbox-item");
    li.setAttribute("data-id", doc.id);
    var terminal = doc.terminal_name || t("inbox.unknown_terminal");
    var info = document.createElement("div");
    info.className = "inbox-info";
    info.appendChild(line("inbox-head", terminal + " · " + when(doc.created_at)));
    var source = doc.call_id || doc.saved_by_name
      ? t("inbox.saved_by", { name: doc.saved_by_name || t("inbox.unknown_person") })
      : t("inbox.from_kit");
    info.appendChild(line("inbox-meta", source
      + " · " + t("inbox.meta", { width: doc.width, height: doc.height, size: bytes(doc.size) })));
    info.appendChild(line("inbox-expiry", t("inbox.expires", { date: day(doc.expires_at) })));
    var actions = document.createElement("div");
    actions.className = "inbox-actions";
    var view = document.createElement("button");
    view.type = "button";
    view.setAttribute("data-test", "inbox-view");
    view.textContent = t("inbox.view");
    view.addEventListener("click", function () { open(doc, view); });
    var del = document.createElement("button");
    del.type = "button";
    del.className = "quiet";
    del.setAttribute("data-test", "inbox-delete");
    del.textContent = t("inbox.delete");
    del.addEventListener("click", function () { remove(doc, del); });
    actions.appendChild(view);
    if (mayDelete(doc)) { actions.appendChild(del); }
    li.appendChild(info);
    li.appendChild(actions);
    return li;
  }

  function render(docs) {
    el.list.textContent = "";
    docs.forEach(function (doc) { el.list.appendChild(item(doc)); });
    el.count.textContent = String(docs.length);
    el.empty.hidden = docs.length > 0;
  }

  async function refresh() {
    if (loading) { return; }
    loading = true;
    try {
      var res = await fetch("/api/v1/documents", { credentials: "same-origin" });
      if (res.status !== 200) {
        if (res.status !== 401) { api.notice(t("inbox.load_failed", { status: res.status }), "error"); }
        return;
      }
      render((await res.json()).documents || []);
    } catch (err) {
      /* offline for a moment: the next refresh tries again */
    } finally {
      loading = false;
    }
  }

  function open(doc, button) {
    opener = button;
    el.title.textContent = t("inbox.viewer_title", {
      when: when(doc.created_at), terminal: doc.terminal_name || t("inbox.unknown_terminal")
    });
    zoom.img.alt = t("photos.alt");
    zoom.img.setAttribute("data-test", "viewer-image");
    zoom.img.onerror = function () {
      api.notice(t("inbox.open_failed", { status: "—" }), "error");
    };
    el.viewer.setAttribute("data-id", doc.id);
    el.viewer.showModal();
    zoom.setSrc("/api/v1/documents/" + encodeURIComponent(doc.id));
    zoom.frame.focus();
  }

  async function remove(doc, button) {
    if (!window.confirm(t("inbox.confirm_delete"))) { return; }
    button.disabled = true;
    try {
      var res = await fetch("/api/v1/documents/" + encodeURIComponent(doc.id), {
        method: "DELETE", credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() }
      });
      if (res.status === 204 || res.status === 404) {
        api.notice(t("inbox.deleted"), "info");
      } else if (res.status === 403) {
        api.notice(t("inbox.delete_forbidden"), "error");
      } else {
        api.notice(t("inbox.delete_failed", { status: res.status }), "error");
      }
    } catch (err) {
      api.notice(t("inbox.delete_failed", { status: "—" }), "error");
    } finally {
      button.disabled = false;
      refresh();
    }
  }

  el.close.addEventListener("click", function () { el.viewer.close(); });
  el.viewer.addEventListener("close", function () {
    zoom.img.removeAttribute("src");
    el.viewer.removeAttribute("data-id");
    if (opener && document.body.contains(opener)) { opener.focus(); }
    opener = null;
  });
  el.refresh.addEventListener("click", refresh);
  setInterval(function () { if (!document.hidden) { refresh(); } }, REFRESH_MS);

  api.inbox = { refresh: refresh };
  refresh();
})();
