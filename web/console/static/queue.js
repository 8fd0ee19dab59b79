/*
 * The queue list (plain JS, loaded after console.js): every waiting call of the
 * municipality as the console pushes it ({type: "queue", now, entries}), with the terminal,
 * the citizen's language, the service (queue) it waits in, who transferred it here and how
 * long it has waited. "Answer" takes any of them; it is off only during a call (an explicit
 * answer ends wrap-up or a break: console/hub.py).
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  var LONG_WAIT_S = 300;

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { queue: $("queue"), empty: $("queue-empty"), count: $("queue-count") };
  var entries = [];

  function fmtWait(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var m = Math.floor(s / 60);
    return (m < 10 ? "0" : "") + m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }

  function part(tag, cls, test, text) {
    var node = document.createElement(tag);
    node.className = cls;
    if (test) { node.setAttribute("data-test", test); }
    if (text) { node.textContent = text; }
    return node;
  }

  function item(entry) {
    var li = part("li", "queue-item", "queue-item");
    li.setAttribute("data-call-id", entry.call_id);
    var info = document.createElement("div");
    var name = part("div", "name", "queue-terminal", entry.terminal_name);
    if (entry.language) {
      name.appendChild(document.createTextNode(" "));
      name.appendChild(part("span", "lang-badge", "queue-language", api.languageName(entry.language)));
    }
    info.appendChild(name);
    if (entry.queue_name || entry.transferred_by || entry.staff) {
      var meta = part("div", "queue-meta");
      if (entry.queue_name) { meta.appendChild(part("span", "queue-badge", "queue-service", entry.queue_name)); }
      if (entry.staff) { meta.appendChild(part("span", "kit-badge", "queue-kit-staff", t("kits.on_site", { name: entry.staff }))); }
      if (entry.transferred_by) {
        meta.appendChild(part("span", "transferred-by", "queue-transferred-by",
          t("calls.transferred_by", { name: entry.transferred_by })));
      }
      info.appendChild(meta);
    }
    info.appendChild(part("div", "waited", "queue-waited"));
    var button = part("button", "primary", "answer", t("calls.answer"));
    button.type = "button";
    button.addEventListener("click", function () { api.answer(entry.call_id, entry); });
    li.appendChild(info);
    li.appendChild(button);
    return li;
  }

  function render() {
    el.queue.textContent = "";
    entries.forEach(function (entry) { el.queue.appendChild(item(entry)); });
    el.count.textContent = String(entries.length);
    el.empty.hidden = entries.length > 0;
    tick();
  }

  function tick() {
    var items = el.queue.querySelectorAll('[data-test="queue-item"]');
    for (var i = 0; i < items.length && i < entries.length; i++) {
      var waited = api.now() / 1000 - entries[i].since;
      var label = items[i].querySelector(".waited");
      label.textContent = t("calls.waiting_since", { time: fmtWait(waited) });
      label.classList.toggle("long", waited >= LONG_WAIT_S);
      items[i].querySelector("button").disabled = api.state !== "idle" || !api.canAnswer();
    }
    document.title = (api.titleNote ? api.titleNote + " – " : "") +
      (entries.length ? "(" + entries.length + ") " : "") + t("app.title");
  }

  api.handlers.queue = function (msg) {
    api.setClock(msg.now);
    entries = msg.entries || [];
    render();
  };
  api.entries = function () { return entries.slice(); };
  api.refresh = tick;
  // The queue is only true while connected: a stale entry must not look answerable.
  api.linkListeners.push(function (state) {
    if (state !== "online") {
      entries = [];
      render();
    }
  });

  setInterval(tick, 1000);
  render();
})();
