/*
 * Text chat during a call (plain JS, loaded after console.js): real-time text next to voice
 * for citizens who cannot hear or speak well (EN 301 549, 6.2).
 *
 * Lines go over the signaling socket as {type: "chat", call_id, text}; the console sets
 * "sender" and relays them to the other side of the same call only, and stores nothing. The
 * log is a role=log live region, so a screen reader announces new lines; it is emptied when
 * the call ends, so nothing of one citizen's conversation is left for the next.
 */
(function () {
  "use strict";

  var MAX_CHARS = 1000;
  var api = window.btConsole;
  var t = api.t;

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { log: $("chat-log"), form: $("chat-form"), input: $("chat-input"), send: $("chat-send") };

  function clock(ms) {
    var d = new Date(ms);
    return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" + (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }

  function append(sender, text) {
    var line = document.createElement("p");
    line.className = "chat-line chat-" + sender;
    line.setAttribute("data-test", "chat-line");
    line.setAttribute("data-sender", sender);
    var who = document.createElement("span");
    who.className = "chat-who";
    who.textContent = t(sender === "caseworker" ? "calls.chat.me" : "calls.chat.citizen");
    var when = document.createElement("time");
    when.className = "chat-time";
    when.textContent = clock(Date.now());
    var body = document.createElement("span");
    body.className = "chat-text";
    body.textContent = text;
    if (sender === "citizen" && api.language && api.language !== "ls") { body.lang = api.language; }
    line.appendChild(who);
    line.appendChild(when);
    line.appendChild(body);
    el.log.appendChild(line);
    el.log.scrollTop = el.log.scrollHeight;
  }

  function render() {
    var inCall = api.state !== "idle" && !!api.callId;
    el.input.disabled = !inCall;
    el.send.disabled = !inCall;
  }

  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value.trim();
    if (!text || !api.callId) { return; }
    if (text.length > MAX_CHARS) {
      api.notice(t("calls.chat.too_long", { max: MAX_CHARS }), "error");
      return;
    }
    if (api.send({ type: "chat", call_id: api.callId, text: text })) {
      append("caseworker", text);
      el.input.value = "";
    } else {
      api.notice(t("calls.chat.not_sent"), "error");
    }
  });

  api.handlers.chat = function (msg) {
    if (msg.call_id !== api.callId) { return; }
    append(msg.sender === "caseworker" ? "caseworker" : "citizen", msg.text);
  };

  api.callStateListeners.push(function (state) {
    if (state === "idle") {
      el.log.textContent = "";
      el.input.value = "";
    }
    render();
  });

  render();
})();
