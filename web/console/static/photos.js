/*
 * Document photos on the caseworker console (plain JS, loaded after console.js and zoom.js).
 *
 * The "document photo" button asks the terminal for a full-resolution still
 * (photo.request with a random request_id). The terminal uploads it to the console over
 * HTTPS; the console answers photo.ready and the photo appears in the panel below the
 * video, newest first, in a zoomable frame (zoom.js: buttons, wheel, pinch, keyboard) with
 * its size, a link to open it full size and "save to case inbox". The video keeps running
 * meanwhile. A spinner shows while a request is outstanding; photo.failed, or no answer
 * within 15 s, gives an error notice. Photos stay on the page until the next call starts;
 * the console deletes unsaved ones 10 minutes after the call ends. Saving sends
 * POST /api/v1/documents {photo_id}: the console encrypts it into the municipality's case
 * inbox (inbox.js lists it) and it is kept until its retention period ends.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 15000;
  var api = window.btConsole;
  var t = function (key, values) { return window.btI18n.t(key, values); };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    button: $("photo"), panel: $("photos"), pending: $("photo-pending"), list: $("photo-list")
  };
  var pending = {}; // request_id -> timeout handle
  var shownCall = null; // the call whose photos the panel shows

  api.photos = { pending: pending };

  function requestId() {
    var bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function render() {
    var waiting = Object.keys(pending).length;
    el.pending.hidden = waiting === 0;
    el.panel.hidden = waiting === 0 && el.list.children.length === 0;
    el.button.disabled = !(api.state === "in-call" && api.callId);
  }

  function settle(id) {
    if (!(id in pending)) { return false; }
    clearTimeout(pending[id]);
    delete pending[id];
    return true;
  }

  function take() {
    var callId = api.callId;
    if (api.state !== "in-call" || !callId) { return; }
    var id = requestId();
    if (!api.send({ type: "photo.request", call_id: callId, request_id: id })) {
      api.notice(t("photos.no_link"), "error");
      return;
    }
    pending[id] = setTimeout(function () {
      if (settle(id)) {
        api.notice(t("photos.timeout"), "error");
        render();
      }
    }, TIMEOUT_MS);
    render();
  }

  async function save(photoId, button, state) {
    button.disabled = true;
    state.textContent = t("photos.saving");
    state.setAttribute("data-state", "saving");
    try {
      var res = await fetch("/api/v1/documents", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
        body: JSON.stringify({ photo_id: photoId })
      });
      if (res.status === 200 || res.status === 201) {
        var doc = await res.json();
        state.textContent = t("photos.saved");
        state.setAttribute("data-state", "saved");
        state.setAttribute("data-document", doc.id);
        button.hidden = true;
        if (api.inbox) { api.inbox.refresh(); }
        return;
      }
      var text = res.status === 404 ? t("photos.save_gone") : t("photos.save_failed", { status: res.status });
      state.textContent = text;
      state.setAttribute("data-state", "failed");
      button.disabled = res.status === 404;
    } catch (err) {
      state.textContent = t("photos.save_failed", { status: "—" });
      state.setAttribute("data-state", "failed");
      button.disabled = false;
    }
  }

  function show(msg) {
    var url = "/api/v1/photos/" + encodeURIComponent(msg.photo_id);
    var figure = document.createElement("figure");
    figure.className = "photo";
    figure.setAttribute("data-test", "photo-item");
    var zoom = window.btZoom.create(url, t("photos.alt"));
    zoom.img.setAttribute("data-test", "photo-preview");
    zoom.img.setAttribute("data-width", String(msg.width));
    zoom.img.setAttribute("data-height", String(msg.height));
    var caption = document.createElement("figcaption");
    var size = document.createElement("span");
    size.setAttribute("data-test", "photo-size");
    size.textContent = t("photos.size", { width: msg.width, height: msg.height });
    var link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.setAttribute("data-test", "photo-open");
    link.textContent = t("photos.open");
    var saveButton = document.createElement("button");
    saveButton.type = "button";
    saveButton.className = "primary";
    saveButton.setAttribute("data-test", "photo-save");
    saveButton.textContent = t("photos.save");
    var state = document.createElement("span");
    state.className = "photo-saved";
    state.setAttribute("data-test", "photo-saved");
    state.setAttribute("role", "status");
    saveButton.addEventListener("click", function () { save(msg.photo_id, saveButton, state); });
    [size, link, saveButton, state].forEach(function (n) { caption.appendChild(n); });
    figure.appendChild(zoom.root);
    figure.appendChild(caption);
    el.list.insertBefore(figure, el.list.firstChild);
  }

  api.handlers["photo.ready"] = function (msg) {
    if (msg.call_id !== api.callId || !settle(msg.request_id)) { return; }
    show(msg);
    render();
    el.list.firstChild.scrollIntoView({ block: "nearest", behavior: "smooth" });
  };

  api.handlers["photo.failed"] = function (msg) {
    if (msg.call_id !== api.callId || !settle(msg.request_id)) { return; }
    api.notice(t("photos.failed", { message: msg.message }), "error");
    render();
  };

  api.callStateListeners.push(function (state, callId) {
    if (state === "idle") {
      Object.keys(pending).forEach(settle);
    } else if (callId && callId !== shownCall) {
      shownCall = callId; // a new call: the previous citizen's photos go
      el.list.textContent = "";
    }
    render();
  });

  el.button.addEventListener("click", take);
  render();
})();
