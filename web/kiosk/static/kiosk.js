// Kiosk page of the Bürgerterminal: shows the daemon's state and receives the caseworker.
//
// The daemon owns all state; this page renders snapshots it gets by Server-Sent Events
// and sends intents (call, hang up) as JSON posts. During a call it terminates the
// "screen" leg itself: a receive-only RTCPeerConnection whose offer it hands to the
// daemon, so decoding and lip sync stay in the browser. No third-party resources.
"use strict";

(() => {
  const $ = (name) => document.querySelector(`[data-test="${name}"]`);
  const stateEl = $("state");
  const detailEl = $("detail");
  const callBtn = $("call");
  const hangupBtn = $("hangup");
  const video = $("remote-video");
  const boot = document.body.dataset.boot;
  const kiosk = (window.btKiosk = { pc: null, state: null, framesDecoded: 0 });

  const TEXT = {
    idle: () => "Drücken Sie den Knopf, um mit der Gemeinde zu sprechen",
    queued: (s) =>
      s.position ? `Bitte warten Sie. Sie sind an Platz ${s.position}.` : "Bitte warten Sie.",
    "in-call": (s) => `Sie sprechen mit ${s.caseworker || "der Gemeinde"}`,
    ended: () => "Das Gespräch ist beendet. Vielen Dank!",
    offline: () => "Zurzeit keine Verbindung",
  };

  const REASONS = {
    cancelled: "Sie haben den Anruf abgebrochen.",
    media_failed: "Die Verbindung war gestört.",
    caseworker_lost: "Die Verbindung zur Gemeinde wurde unterbrochen.",
  };

  function detail(s) {
    switch (s.state) {
      case "idle":
        return "Oder tippen Sie auf den grünen Kreis.";
      case "queued":
        return s.position ? "Gleich ist jemand für Sie da." : "Ihr Anruf wird verbunden …";
      case "ended":
        return REASONS[s.reason] || "Sie können jederzeit wieder anrufen.";
      case "offline":
        return "Bitte versuchen Sie es später noch einmal.";
      default:
        return "";
    }
  }

  function render(s) {
    const state = TEXT[s.state] ? s.state : "offline";
    kiosk.state = state;
    document.body.dataset.state = state;
    stateEl.dataset.state = state;
    stateEl.textContent = TEXT[state](s);
    detailEl.textContent = detail({ ...s, state });
    callBtn.hidden = callBtn.disabled = state !== "idle";
    hangupBtn.hidden = hangupBtn.disabled = !(state === "queued" || state === "in-call");
    hangupBtn.textContent = state === "queued" ? "Abbrechen" : "Auflegen";
    video.hidden = state !== "in-call";
    if (state !== "in-call") closePc();
  }

  async function post(path, body) {
    try {
      const res = await fetch(path, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body || {}),
      });
      return res.ok;
    } catch (err) {
      return false;
    }
  }

  function closePc() {
    const pc = kiosk.pc;
    kiosk.pc = null;
    if (pc) pc.close();
    if (video.srcObject) video.srcObject = null;
  }

  function gatheringComplete(pc, maxMs) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      const check = () => pc.iceGatheringState === "complete" && done();
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, maxMs);
    });
  }

  async function makeOffer(iceServers) {
    closePc();
    const pc = new RTCPeerConnection({ iceServers: iceServers || [] });
    kiosk.pc = pc;
    kiosk.framesDecoded = 0;
    const stream = new MediaStream();
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (ev) => {
      stream.addTrack(ev.track);
      video.srcObject = stream;
      video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc, 2000);
    if (kiosk.pc !== pc) return;
    await post("/api/rtc/screen-offer", { sdp: pc.localDescription.sdp });
  }

  async function applyAnswer(sdp) {
    const pc = kiosk.pc;
    if (!pc || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch (err) {
      console.warn("screen answer refused", err);
    }
  }

  async function reportStats() {
    const pc = kiosk.pc;
    if (!pc) return;
    const stats = await pc.getStats();
    let frames = 0;
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
    if (frames !== kiosk.framesDecoded) {
      kiosk.framesDecoded = frames;
      await post("/api/rtc/stats", { frames_decoded: frames });
    }
  }

  // Short notices from the daemon (document photo taken, sent); each shows for 3 s.
  const noticeEl = $("notice");
  let noticeTimer = null;
  function showNotice(text) {
    noticeEl.textContent = text;
    noticeEl.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      noticeEl.hidden = true;
    }, 3000);
  }

  let events = null;
  function connect() {
    events = new EventSource("/api/events");
    events.addEventListener("state", (ev) => {
      const s = JSON.parse(ev.data);
      if (s.boot && boot && s.boot !== boot) {
        location.reload(); // the daemon restarted: load its current page
        return;
      }
      render(s);
    });
    events.addEventListener("screen-offer", (ev) => {
      makeOffer(JSON.parse(ev.data).ice_servers).catch((err) => console.warn("screen offer", err));
    });
    events.addEventListener("screen-answer", (ev) => applyAnswer(JSON.parse(ev.data).sdp));
    events.addEventListener("screen-close", closePc);
    events.addEventListener("notice", (ev) => showNotice(JSON.parse(ev.data).text));
    events.onerror = () => {
      events.close();
      render({ state: "offline" });
      setTimeout(connect, 1000);
    };
  }

  callBtn.addEventListener("click", () => post("/api/call"));
  hangupBtn.addEventListener("click", () => post("/api/hangup"));
  setInterval(() => reportStats().catch(() => {}), 1000);
  connect();
})();
