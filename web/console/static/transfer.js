/*
 * Handing the current call on (plain JS, loaded after console.js and desk.js): a dialog
 * lists the colleagues of the municipality with their presence (only available ones can be
 * chosen) and its queues (services) with waiting calls, both from the console's
 * {type: "desk"} message. Choosing one sends {type: "call.transfer", call_id,
 * to_caseworker_id | to_queue_id}; the console tells the citizen, offers the call to the
 * colleague or puts it at the front of the queue, and ends the call for this caseworker
 * (call.ended), which closes the dialog. A refused transfer comes back as an error and the
 * call goes on.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  if (!api || !api.desk) { return; }
  var t = api.t;

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    open: $("transfer"), dialog: $("transfer-dialog"), colleagues: $("transfer-colleagues"),
    queues: $("transfer-queues"), none: $("transfer-no-colleagues"), status: $("transfer-status"),
    cancel: $("transfer-cancel")
  };
  var pending = null; // {callId, to}: sent, waiting for the console

  function inCall() { return !!api.callId && api.state !== "idle"; }

  function row(test, id, label, detail, state) {
    var li = document.createElement("li");
    li.className = "transfer-row";
    li.setAttribute("data-test", test);
    var text = document.createElement("span");
    text.className = "transfer-name";
    text.textContent = label;
    li.appendChild(text);
    var chip = document.createElement("span");
    chip.className = state ? "presence-chip" : "count";
    if (state) { chip.setAttribute("data-state", state); }
    chip.textContent = detail;
    li.appendChild(chip);
    li.setAttribute(test === "transfer-colleague" ? "data-caseworker-id" : "data-queue-id", String(id));
    return li;
  }

  function choose(li, target, to) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "primary";
    button.setAttribute("data-test", target.to_caseworker_id ? "transfer-to-caseworker" : "transfer-to-queue");
    button.textContent = t("desk.transfer.choose");
    button.setAttribute("aria-label", t("desk.transfer.to", { name: to }));
    button.addEventListener("click", function () { transfer(target, to); });
    li.appendChild(button);
    return button;
  }

  function render() {
    var desk = api.desk;
    el.colleagues.textContent = "";
    var others = desk.colleagues.filter(function (c) { return c.caseworker_id !== api.caseworkerId; });
    others.forEach(function (c) {
      var li = row("transfer-colleague", c.caseworker_id, c.name, t("desk.state." + c.state), c.state);
      li.setAttribute("data-state", c.state);
      var button = choose(li, { to_caseworker_id: c.caseworker_id }, c.name);
      button.disabled = !!pending || c.state !== "available";
      el.colleagues.appendChild(li);
    });
    el.none.hidden = others.length > 0;
    el.queues.textContent = "";
    desk.queues.forEach(function (q) {
      var label = q.office ? q.name + " (" + q.office + ")" : q.name;
      var li = row("transfer-queue", q.queue_id, label, t("desk.team.waiting", { count: q.waiting }), null);
      choose(li, { to_queue_id: q.queue_id }, q.name).disabled = !!pending;
      el.queues.appendChild(li);
    });
    el.status.textContent = pending ? t("desk.transfer.sending", { name: pending.to }) : "";
  }

  function transfer(target, to) {
    if (!inCall() || pending) { return; }
    var msg = { type: "call.transfer", call_id: api.callId };
    if (target.to_caseworker_id) { msg.to_caseworker_id = target.to_caseworker_id; }
    if (target.to_queue_id) { msg.to_queue_id = target.to_queue_id; }
    if (!api.send(msg)) { api.notice(t("calls.no_link"), "error"); return; }
    pending = { callId: api.callId, to: to };
    render();
  }

  function close() {
    pending = null;
    if (el.dialog.open) { el.dialog.close(); }
  }

  // The call ended because it was handed on: say so instead of "call ended".
  api.endedText = function (msg) {
    if (pending && pending.callId === msg.call_id) { return t("desk.transfer.done", { name: pending.to }); }
    return null;
  };

  el.open.addEventListener("click", function () {
    if (!inCall()) { return; }
    pending = null;
    render();
    el.dialog.showModal();
  });
  el.cancel.addEventListener("click", close);
  el.dialog.addEventListener("close", function () { if (!inCall()) { pending = null; } });
  api.deskListeners.push(function () { if (el.dialog.open) { render(); } });

  api.errorListeners.push(function () { // refused (colleague went offline ...): choose again
    if (pending) {
      pending = null;
      render();
    }
  });
  api.callStateListeners.push(function (state) {
    el.open.disabled = !inCall();
    if (state === "idle") { close(); }
  });
  api.linkListeners.push(function (state) { if (state !== "online") { close(); } });
  el.open.disabled = true;
})();
