/*
 * Callback requests (plain JS, loaded after console.js).
 *
 * Citizens who found the office closed, or whom nobody answered, leave a name and a phone
 * number at the terminal. The console pushes the municipality's list ({type: "callbacks"})
 * when the page connects and after every change: open requests, and those done or failed
 * in the last 24 hours. "Done" and "Not reached" send callback.done; the new list
 * then arrives for every colleague at once.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  // calls.callback.reason.<reason> and calls.callback.status.<status> in calls.po.
  var REASONS = ["closed", "no_answer", "other"];
  var STATUS = ["done", "failed"];

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { list: $("callbacks"), empty: $("callbacks-empty"), count: $("callbacks-count") };
  var entries = [];

  function age(created) {
    var minutes = Math.max(0, Math.floor((api.now() / 1000 - created) / 60));
    if (minutes < 1) { return t("calls.age.now"); }
    if (minutes < 60) { return t("calls.age.minutes", { count: minutes }); }
    var hours = Math.floor(minutes / 60);
    if (hours < 48) { return t("calls.age.hours", { count: hours }); }
    return t("calls.age.days", { count: Math.floor(hours / 24) });
  }

  function span(cls, test, text) {
    var node = document.createElement("span");
    node.className = cls;
    if (test) { node.setAttribute("data-test", test); }
    node.textContent = text;
    return node;
  }

  function button(test, text, cls, callbackId, status) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = cls;
    b.setAttribute("data-test", test);
    b.textContent = text;
    b.addEventListener("click", function () {
      b.disabled = true;
      if (!api.send({ type: "callback.done", callback_id: callbackId, status: status })) {
        b.disabled = false;
        api.notice(t("calls.no_link"), "error");
      }
    });
    return b;
  }

  function render() {
    el.list.textContent = "";
    var open = 0;
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      li.className = "callback-item";
      li.setAttribute("data-test", "callback-item");
      li.setAttribute("data-callback-id", entry.callback_id);
      li.setAttribute("data-status", entry.status);
      var head = document.createElement("div");
      head.className = "callback-head";
      head.appendChild(span("callback-name", "callback-name", entry.name));
      var tel = document.createElement("a");
      tel.className = "callback-phone";
      tel.setAttribute("data-test", "callback-phone");
      tel.href = "tel:" + entry.phone.replace(/[^0-9+]/g, "");
      tel.textContent = entry.phone;
      head.appendChild(tel);
      li.appendChild(head);
      var meta = document.createElement("div");
      meta.className = "callback-meta";
      var parts = [entry.terminal_name || t("calls.callback.unknown_terminal")];
      if (entry.language) { parts.push(api.languageName(entry.language)); }
      parts.push(REASONS.indexOf(entry.reason) >= 0 ? t("calls.callback.reason." + entry.reason) : entry.reason);
      meta.appendChild(span("", "callback-info", parts.join(" · ")));
      meta.appendChild(span("callback-age", "callback-age", age(entry.created)));
      li.appendChild(meta);
      if (entry.status === "open") {
        open += 1;
        var actions = document.createElement("div");
        actions.className = "callback-actions";
        actions.appendChild(button("callback-done", t("calls.callback.done"), "primary", entry.callback_id, "done"));
        actions.appendChild(button("callback-failed", t("calls.callback.failed"), "", entry.callback_id, "failed"));
        li.appendChild(actions);
      } else {
        li.appendChild(span("callback-status", "callback-status",
          STATUS.indexOf(entry.status) >= 0 ? t("calls.callback.status." + entry.status) : entry.status));
      }
      el.list.appendChild(li);
    });
    el.count.textContent = String(open);
    el.empty.hidden = entries.length > 0;
  }

  api.handlers.callbacks = function (msg) {
    entries = msg.entries || [];
    render();
  };

  setInterval(function () {
    var ages = el.list.querySelectorAll('[data-test="callback-age"]');
    for (var i = 0; i < ages.length && i < entries.length; i++) { ages[i].textContent = age(entries[i].created); }
  }, 30000);
  render();
})();
