/*
 * Bürgerterminal caseworker console (plain JS, no framework, no third-party code).
 *
 * One WebSocket to /ws/caseworker carries the signaling (protocol/messages.py). A call has
 * two peer connections, both offered by the terminal and answered here, without trickle ICE:
 *   camera: the terminal's camera and microphone (aiortc) -> shown in remote-video;
 *   screen: the terminal's kiosk browser offers recvonly audio+video -> we send our camera
 *           and microphone on it.
 */
(function () {
  "use strict";

  var PROTOCOL = 1;
  var SOFTWARE = "bt-console-web/0.1";
  var ICE_WAIT_MS = 2000;
  var MAX_BACKOFF_MS = 30000;
  var END_REASONS = {
    hangup_terminal: "Die Bürgerin / der Bürger hat aufgelegt.",
    hangup_caseworker: "Gespräch beendet.",
    cancelled: "Der Anruf wurde am Terminal abgebrochen.",
    terminal_lost: "Die Verbindung zum Terminal ist abgebrochen.",
    caseworker_lost: "Ihre Verbindung zur Zentrale war unterbrochen.",
    media_failed: "Die Audio-/Videoverbindung ist fehlgeschlagen."
  };
  // The citizen's kiosk language (call.request -> queue entry), for the caseworker in German.
  var LANGUAGES = {
    de: "Deutsch", en: "Englisch", uk: "Ukrainisch", ar: "Arabisch", tr: "Türkisch",
    ls: "Leichte Sprache"
  };
  var ERROR_TEXTS = {
    taken: "Eine Kollegin oder ein Kollege hat diesen Anruf bereits angenommen.",
    busy: "Bitte beenden Sie zuerst Ihr laufendes Gespräch.",
    not_found: "Dieser Anruf wartet nicht mehr.",
    closed: "Das Amt ist gerade geschlossen."
  };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    queue: $("queue"), queueEmpty: $("queue-empty"), queueCount: $("queue-count"),
    remote: $("remote-video"), local: $("local-video"), hangup: $("hangup"),
    callState: $("call-state"), callPeer: $("call-peer"), hint: $("stage-hint"),
    notices: $("notices"), link: $("link-state")
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
  var entries = [];
  var call = null; // {id, terminalName, iceServers, language}
  var answering = null; // the queue entry being answered, for its language
  var localStream = null;
  var remoteStream = null;

  // Extension points for in-call tools kept in their own scripts (photos.js): message
  // handlers by type, call-state listeners, and the page's send and notice.
  api.handlers = {};
  api.callStateListeners = [];
  api.send = function (msg) { return send(msg); };
  api.notice = function (text, kind) { notice(text, kind); };
  api.now = function () { return Date.now() + clockOffsetMs; }; // the console's clock, ms
  api.languageName = function (code) { return code ? (LANGUAGES[code] || code) : ""; };
  api.language = null; // the current call's citizen language

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
    close.setAttribute("aria-label", "Hinweis schließen");
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
    el.link.querySelector(".link-text").textContent =
      state === "online" ? "Verbunden" : state === "offline" ? "Getrennt – verbinde neu …" : "Verbinde …";
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
      // The queue is only true while connected: a stale entry must not look answerable.
      entries = [];
      renderQueue();
      if (call || api.state !== "idle") { endCall(END_REASONS.caseworker_lost); }
      if (event.code === 4400) {
        notice("Diese Seite ist veraltet. Bitte neu laden.", "error");
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
        backoffMs = 1000;
        setLink("online");
        clearInterval(pingTimer);
        pingTimer = setInterval(function () { send({ type: "ping", seq: ++seq }); }, heartbeatS * 1000);
        break;
      case "pong":
        break;
      case "queue":
        clockOffsetMs = msg.now * 1000 - Date.now();
        entries = msg.entries;
        renderQueue();
        break;
      case "call.assigned":
        if (api.state === "idle") { // hung up while the answer was on its way
          send({ type: "call.hangup", call_id: msg.call_id });
          break;
        }
        var language = answering && answering.call_id === msg.call_id ? answering.language : null;
        call = {
          id: msg.call_id, terminalName: msg.terminal_name, iceServers: msg.ice_servers || [],
          language: language || null
        };
        api.callId = msg.call_id;
        api.language = call.language;
        el.callPeer.textContent = "Gespräch mit " + msg.terminal_name;
        if (call.language) {
          var lang = document.createElement("span");
          lang.className = "lang-badge";
          lang.setAttribute("data-test", "call-language");
          lang.textContent = "Sprache: " + api.languageName(call.language);
          el.callPeer.appendChild(document.createTextNode(" "));
          el.callPeer.appendChild(lang);
        }
        setCallState("connecting");
        break;
      case "rtc.offer":
        if (call && msg.call_id === call.id) {
          answerOffer(msg.leg, msg.sdp).catch(function (err) {
            notice("Verbindungsaufbau fehlgeschlagen: " + err, "error");
          });
        }
        break;
      case "call.ended":
        if (call && msg.call_id === call.id) { endCall(END_REASONS[msg.reason] || "Gespräch beendet."); }
        break;
      case "error":
        notice(ERROR_TEXTS[msg.code] || ("Fehler: " + msg.message), "error");
        if (!call && api.state === "connecting") { endCall(null); }
        break;
      default:
        if (api.handlers[msg.type]) { api.handlers[msg.type](msg); }
    }
  }

  // --- queue --------------------------------------------------------------------------------
  function fmtWait(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var m = Math.floor(s / 60);
    return (m < 10 ? "0" : "") + m + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }

  function waitedS(entry) { return (Date.now() + clockOffsetMs) / 1000 - entry.since; }

  function renderQueue() {
    el.queue.textContent = "";
    entries.forEach(function (entry) {
      var li = document.createElement("li");
      li.className = "queue-item";
      li.setAttribute("data-test", "queue-item");
      li.setAttribute("data-call-id", entry.call_id);
      var info = document.createElement("div");
      var name = document.createElement("div");
      name.className = "name";
      name.setAttribute("data-test", "queue-terminal");
      name.textContent = entry.terminal_name;
      var waited = document.createElement("div");
      waited.className = "waited";
      waited.setAttribute("data-test", "queue-waited");
      info.appendChild(name);
      if (entry.language) {
        var lang = document.createElement("span");
        lang.className = "lang-badge";
        lang.setAttribute("data-test", "queue-language");
        lang.textContent = api.languageName(entry.language);
        name.appendChild(document.createTextNode(" "));
        name.appendChild(lang);
      }
      info.appendChild(waited);
      var button = document.createElement("button");
      button.type = "button";
      button.className = "primary";
      button.setAttribute("data-test", "answer");
      button.textContent = "Annehmen";
      button.addEventListener("click", function () { answer(entry.call_id); });
      li.appendChild(info);
      li.appendChild(button);
      el.queue.appendChild(li);
    });
    el.queueCount.textContent = String(entries.length);
    el.queueEmpty.hidden = entries.length > 0;
    tick();
  }

  function tick() {
    var items = el.queue.querySelectorAll('[data-test="queue-item"]');
    for (var i = 0; i < items.length && i < entries.length; i++) {
      var w = waitedS(entries[i]);
      var label = items[i].querySelector(".waited");
      label.textContent = "wartet seit " + fmtWait(w);
      label.classList.toggle("long", w >= 300);
      items[i].querySelector("button").disabled = api.state !== "idle";
    }
    document.title = (entries.length ? "(" + entries.length + ") " : "") + "Bürgerterminal – Sachbearbeitung";
  }

  // --- call ----------------------------------------------------------------------------------
  function setCallState(state) {
    api.state = state;
    el.callState.setAttribute("data-state", state);
    el.callState.textContent = state === "in-call" ? "Im Gespräch" : state === "connecting" ? "Verbinde …" : "Bereit";
    el.hangup.disabled = state === "idle";
    el.hint.hidden = state !== "idle";
    tick();
    api.callStateListeners.forEach(function (listener) { listener(state, api.callId); });
  }

  async function answer(callId) {
    if (api.state !== "idle") { return; }
    answering = entries.find(function (e) { return e.call_id === callId; }) || null;
    setCallState("connecting");
    await startLocalMedia();
    if (!send({ type: "call.answer", call_id: callId })) {
      notice("Keine Verbindung zur Zentrale.", "error");
      endCall(null);
    }
  }

  async function startLocalMedia() {
    if (localStream) { return; }
    try {
      localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      el.local.srcObject = localStream;
      el.local.classList.add("live");
    } catch (err) {
      localStream = null;
      notice("Kamera oder Mikrofon nicht verfügbar – das Gespräch läuft ohne Ihr Bild und Ihren Ton.", "error");
    }
  }

  function iceServers() {
    return (call ? call.iceServers : []).map(function (s) {
      var out = { urls: s.urls };
      if (s.username) { out.username = s.username; }
      if (s.credential) { out.credential = s.credential; }
      return out;
    });
  }

  async function answerOffer(leg, sdp) {
    if (leg !== "camera" && leg !== "screen") { return; }
    var callId = call.id;
    if (api.pcs[leg]) { api.pcs[leg].close(); }
    var pc = new RTCPeerConnection({ iceServers: iceServers() });
    api.pcs[leg] = pc;
    pc.addEventListener("connectionstatechange", function () {
      if (pc.connectionState === "connected" && api.state === "connecting") { setCallState("in-call"); }
      if (pc.connectionState === "failed" && api.pcs[leg] === pc) {
        notice("Die Audio-/Videoverbindung ist gestört.", "error");
      }
    });
    if (leg === "camera") {
      pc.addEventListener("track", function (event) {
        if (!remoteStream) { remoteStream = new MediaStream(); }
        remoteStream.addTrack(event.track);
        el.remote.srcObject = remoteStream;
        el.remote.play().catch(function () { /* autoplay policy: shown once clicked */ });
      });
    }
    await pc.setRemoteDescription({ type: "offer", sdp: sdp });
    if (leg === "screen") {
      var tracks = localStream ? localStream.getTracks() : [];
      for (var t of pc.getTransceivers()) {
        var kind = t.receiver.track.kind;
        var track = tracks.find(function (x) { return x.kind === kind; }) || null;
        if (track) {
          await t.sender.replaceTrack(track);
          t.direction = "sendonly";
        } else {
          t.direction = "inactive";
        }
      }
    }
    await pc.setLocalDescription(await pc.createAnswer());
    await iceComplete(pc);
    if (!call || call.id !== callId || api.pcs[leg] !== pc) { return; }
    send({ type: "rtc.answer", call_id: callId, leg: leg, sdp: pc.localDescription.sdp });
  }

  function iceComplete(pc) {
    if (pc.iceGatheringState === "complete") { return Promise.resolve(); }
    return new Promise(function (resolve) {
      var timer = setTimeout(done, ICE_WAIT_MS);
      function done() {
        clearTimeout(timer);
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      }
      function check() { if (pc.iceGatheringState === "complete") { done(); } }
      pc.addEventListener("icegatheringstatechange", check);
    });
  }

  function endCall(reason) {
    ["camera", "screen"].forEach(function (leg) {
      if (api.pcs[leg]) { api.pcs[leg].close(); api.pcs[leg] = null; }
    });
    if (localStream) { localStream.getTracks().forEach(function (t) { t.stop(); }); }
    localStream = null;
    remoteStream = null;
    el.local.srcObject = null;
    el.local.classList.remove("live");
    el.remote.srcObject = null;
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

  setInterval(tick, 1000);
  setCallState("idle");
  renderQueue();
  connect();
})();
