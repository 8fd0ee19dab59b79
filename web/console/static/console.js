/*
 * Bürgerterminal caseworker console (plain JS, no framework, no third-party code).
 *
 * One WebSocket to /ws/caseworker carries the signaling (protocol/messages.py). This file
 * owns the socket and the call's state (idle -> connecting -> in-call -> idle); the other
 * scripts hang off window.btConsole: queue.js (the queue list), media.js (the two peer
 * connections), desk.js (presence, team), offers.js (ringing offers), transfer.js, and the
 * in-call tools (photos, printing, chat, mute, terminal parts). Every word comes from the
 * page's catalog (i18n.js: calls.po, desk.po).
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var SOFTWARE = "bt-console-web/0.1";
  var MAX_BACKOFF_MS = 30000;
  // Why a call ended (call.ended reason) and refused requests (error code): catalog keys
  // calls.ended.<reason> and calls.error.<code> (web/console/translations/*/calls.po).
  var END_REASONS = ["hangup_terminal", "hangup_caseworker", "cancelled", "terminal_lost",
    "caseworker_lost", "media_failed", "no_answer", "transferred"];
  var ERROR_CODES = ["taken", "busy", "not_found", "closed", "invalid", "forbidden", "unavailable"];
  // The citizen's kiosk language (call.request -> queue entry): calls.lang.<code>.
  var LANGUAGES = ["de", "en", "uk", "ar", "tr", "ls"];

  function t(key, values) { return window.btI18n ? window.btI18n.t(key, values) : key; }
  function endText(reason) {
    return t(END_REASONS.indexOf(reason) >= 0 ? "calls.ended." + reason : "calls.ended.hangup_caseworker");
  }

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    hangup: $("hangup"), callState: $("call-state"), callPeer: $("call-peer"),
    hint: $("stage-hint"), notices: $("notices"), link: $("link-state")
  };

  var api = window.btConsole = {
    pcs: { camera: null, screen: null },
    state: "idle",
    callId: null,
    link: "connecting"
  };

  var ws = null;
  var everOpened = false;
  var backoffMs = 1000;
  var pingTimer = null;
  var seq = 0;
  var heartbeatS = 15;
  var clockOffsetMs = 0; // server clock minus local clock
  var call = null; // {id, terminalName, iceServers, language, queueName, transferredBy}
  var answering = null; // the queue entry or offer being answered, for its language

  // Extension points for in-call tools kept in their own scripts (photos.js): message
  // handlers by type, call-state listeners, and the page's send and notice.
  api.handlers = {};
  api.callStateListeners = [];
  api.linkListeners = []; // called with "connecting" | "online" | "offline"
  api.errorListeners = []; // called with each error message from the console
  api.send = function (msg) { return send(msg); };
  api.notice = function (text, kind) { notice(text, kind); };
  api.now = function () { return Date.now() + clockOffsetMs; }; // the console's clock, ms
  api.setClock = function (nowS) { clockOffsetMs = nowS * 1000 - Date.now(); };
  api.iceTransportPolicy = "all"; // welcome.ice_transport_policy: "relay" forces TURN
  api.languageName = function (code) {
    return code ? (LANGUAGES.indexOf(code) >= 0 ? t("calls.lang." + code) : code) : "";
  };
  api.language = null; // the current call's citizen language
  api.t = t;
  // Who is signed in (rendered into <main data-role data-caseworker-id>), for desk.js.
  var main = document.querySelector("main.layout");
  api.role = (main && main.getAttribute("data-role")) || "caseworker";
  // desk.js replaces this: whether the queue's answer buttons are enabled (presence).
  api.canAnswer = function () { return true; };
  api.refresh = function () { /* queue.js */ };
  api.titleNote = ""; // offers.js: "Incoming call" in the tab's title while one rings
  api.entries = function () { return []; }; // queue.js
  api.answer = function (callId, info) { return answer(callId, info); };
  api.mediaConnected = function () { if (api.state === "connecting") { setCallState("in-call"); } };
  api.dispatch = function (msg) { handle(msg); }; // one message as if from the socket
  api.endedText = null; // transfer.js: the notice for a call that ended because it was handed on

  // --- notices ------------------------------------------------------------------------
  function notice(text, kind) {
    var box = document.createElement("div");
    box.className = "notice " + (kind === "error" ? "notice-error" : "notice-info");
    box.setAttribute("data-test", "notice");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    var span = document.createElement("span");
    span.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", t("calls.notice.close"));
    close.textContent = "×";
    close.addEventListener("click", function () { box.remove(); });
    box.appendChild(span);
    box.appendChild(close);
    el.notices.appendChild(box);
    while (el.notices.children.length > 4) { el.notices.firstChild.remove(); }
    setTimeout(function () { box.remove(); }, kind === "error" ? 20000 : 8000);
  }

  // --- link state -----------------------------------------------------------------------
  function setLink(state) {
    api.link = state;
    el.link.setAttribute("data-state", state);
    el.link.querySelector(".link-text").textContent = t("calls.link." + state);
    api.linkListeners.forEach(function (listener) { listener(state); });
  }

  function send(msg) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(msg)); return true; }
    return false;
  }

  function connect() {
    setLink(everOpened ? "offline" : "connecting");
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/caseworker";
    var sock = new WebSocket(url);
    var opened = false;
    ws = sock;
    sock.addEventListener("open", function () {
      opened = true;
      everOpened = true;
      send({ type: "hello", protocol: PROTOCOL, software: SOFTWARE });
    });
    sock.addEventListener("message", function (event) {
      var msg;
      try { msg = JSON.parse(event.data); } catch (err) { return; }
      handle(msg);
    });
    sock.addEventListener("close", function (event) {
      if (ws !== sock) { return; }
      ws = null;
      clearInterval(pingTimer);
      setLink("offline");
      if (call || api.state !== "idle") { endCall(endText("caseworker_lost")); }
      if (event.code === 4400) {
        notice(t("calls.page_outdated"), "error");
        return;
      }
      if (!opened) { checkSession(); }
      var delay = backoffMs + Math.random() * 500;
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      setTimeout(connect, delay);
    });
  }

  function checkSession() {
    // A refused handshake (401) looks like any network error to the page; ask the server.
    fetch("/", { redirect: "manual", credentials: "same-origin" }).then(function (res) {
      if (res.type === "opaqueredirect" || res.status === 303) { location.assign("/login"); }
    }).catch(function () { /* offline: keep retrying */ });
  }

  // --- messages ---------------------------------------------------------------------------
  function handle(msg) {
    switch (msg.type) {
      case "welcome":
        heartbeatS = msg.heartbeat_s || 15;
        api.iceTransportPolicy = msg.ice_transport_policy === "relay" ? "relay" : "all";
        backoffMs = 1000;
        setLink("online");
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { send({ type: "ping", seq: ++seq }); }, heartbeatS * 1000);
        break;
      case "pong":
        break;
      case "call.assigned":
        if (api.state === "idle") { // hung up while the answer was on its way
          send({ type: "call.hangup", call_id: msg.call_id });
          break;
        }
        var known = answering && answering.call_id === msg.call_id ? answering : {};
        call = {
          id: msg.call_id, terminalName: msg.terminal_name, iceServers: msg.ice_servers || [],
          language: msg.language || known.language || null,
          queueName: msg.queue_name || known.queue_name || null,
          transferredBy: msg.transferred_by || known.transferred_by || null,
          staff: msg.staff || known.staff || null
        };
        api.callId = msg.call_id;
        api.language = call.language;
        showPeer();
        setCallState("connecting");
        break;
      case "rtc.offer":
        if (call && msg.call_id === call.id) {
          api.media.answerOffer(call, msg.leg, msg.sdp).catch(function (err) {
            notice(t("calls.connect_failed", { error: String(err) }), "error");
          });
        }
        break;
      case "call.ended":
        if (call && msg.call_id === call.id) {
          endCall(api.endedText ? (api.endedText(msg) || endText(msg.reason)) : endText(msg.reason));
        }
        break;
      case "error":
        notice(ERROR_CODES.indexOf(msg.code) >= 0 ? t("calls.error." + msg.code)
          : t("calls.error.other", { message: msg.message }), "error");
        if (!call && api.state === "connecting") { endCall(null); }
        api.errorListeners.forEach(function (listener) { listener(msg); });
        break;
      default:
        if (api.handlers[msg.type]) { api.handlers[msg.type](msg); }
    }
  }

  // --- call ----------------------------------------------------------------------------------
  function setCallState(state) {
    api.state = state;
    el.callState.setAttribute("data-state", state);
    el.callState.textContent = t("calls.state." + state);
    el.hangup.disabled = state === "idle";
    el.hint.hidden = state !== "idle";
    api.refresh();
    api.callStateListeners.forEach(function (listener) { listener(state, api.callId); });
  }

  function showPeer() {
    el.callPeer.textContent = t("calls.peer", { terminal: call.terminalName });
    function badge(cls, test, text) {
      var node = document.createElement("span");
      node.className = cls;
      node.setAttribute("data-test", test);
      node.textContent = text;
      el.callPeer.appendChild(document.createTextNode(" "));
      el.callPeer.appendChild(node);
    }
    if (call.language) {
      badge("lang-badge", "call-language", t("calls.language", { language: api.languageName(call.language) }));
    }
    if (call.queueName) { badge("queue-badge", "call-queue", call.queueName); }
    if (call.transferredBy) {
      badge("transferred-by", "call-transferred-by", t("calls.transferred_by", { name: call.transferredBy }));
    }
    if (call.staff) { badge("kit-badge", "call-kit-staff", t("kits.on_site", { name: call.staff })); }
  }

  async function answer(callId, info) {
    if (api.state !== "idle") { return false; }
    answering = info || api.entries().find(function (e) { return e.call_id === callId; }) || null;
    setCallState("connecting");
    await api.media.start();
    if (!send({ type: "call.answer", call_id: callId })) {
      notice(t("calls.no_link"), "error");
      endCall(null);
      return false;
    }
    return true;
  }

  function endCall(reason) {
    api.media.stop();
    el.callPeer.textContent = "";
    call = null;
    answering = null;
    api.callId = null;
    api.language = null;
    setCallState("idle");
    if (reason) { notice(reason, "info"); }
  }

  el.hangup.addEventListener("click", function () {
    if (call) { send({ type: "call.hangup", call_id: call.id }); }
    endCall(null);
  });

  setCallState("idle");
  // Connect once every deferred script has run (DOMContentLoaded): a message that arrived
  // while a later script was still loading would find no handler and be lost (the first
  // queue, presence or office status).
  document.addEventListener("DOMContentLoaded", connect);
})();
