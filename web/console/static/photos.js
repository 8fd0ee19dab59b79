/*
 * Document photos on the caseworker console (plain JS, loaded after console.js).
 *
 * The "Dokumentfoto" button asks the terminal for a full-resolution still
 * (photo.request with a random request_id). The terminal uploads it to the console over
 * HTTPS; the console answers photo.ready and the photo appears in the panel below the
 * video, newest first, with its size and a link to open it full size. The video keeps
 * running meanwhile. A spinner shows while a request is outstanding; photo.failed, or no
 * answer within 15 s, gives an error notice. Photos stay on the page until the next call
 * starts (the console deletes them 10 minutes after the call ends).
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 15000;
  var api = window.btConsole;

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
      api.notice("Keine Verbindung zur Zentrale – das Foto wurde nicht angefordert.", "error");
      return;
    }
    pending[id] = setTimeout(function () {
      if (settle(id)) {
        api.notice("Das Foto ist nicht angekommen (keine Antwort nach 15 Sekunden).", "error");
        render();
      }
    }, TIMEOUT_MS);
    render();
  }

  function show(msg) {
    var url = "/api/v1/photos/" + encodeURIComponent(msg.photo_id);
    var figure = document.createElement("figure");
    figure.className = "photo";
    figure.setAttribute("data-test", "photo-item");
    var img = document.createElement("img");
    img.src = url;
    img.alt = "Dokumentfoto vom Terminal";
    img.setAttribute("data-test", "photo-preview");
    img.setAttribute("data-width", String(msg.width));
    img.setAttribute("data-height", String(msg.height));
    var caption = document.createElement("figcaption");
    var size = document.createElement("span");
    size.setAttribute("data-test", "photo-size");
    size.textContent = msg.width + " × " + msg.height + " Pixel";
    var link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    link.setAttribute("data-test", "photo-open");
    link.textContent = "In voller Größe öffnen";
    caption.appendChild(size);
    caption.appendChild(link);
    figure.appendChild(img);
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
    api.notice("Das Foto hat nicht geklappt: " + msg.message, "error");
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
