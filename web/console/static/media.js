/*
 * The call's media (plain JS, loaded after console.js). A call has two peer connections,
 * both offered by the terminal and answered here, without trickle ICE:
 *   camera: the terminal's camera and microphone (aiortc) -> shown in remote-video;
 *   screen: the terminal's kiosk browser offers recvonly audio+video -> we send our camera
 *           and microphone on it.
 * The caseworker's own stream is shown in local-video (mute.js reads it from there).
 * A new offer for a leg replaces its connection: after a transfer, or when a terminal that lost
 * its network resumes the call (held.js) and offers both legs afresh.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  var ICE_WAIT_MS = 2000;

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { remote: $("remote-video"), local: $("local-video") };
  var localStream = null;
  var remoteStream = null;
  api.mediaStateListeners = []; // called with (leg, connectionState) of the current connections

  async function start() {
    if (localStream) { return; }
    try {
      localStream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
      el.local.srcObject = localStream;
      el.local.classList.add("live");
    } catch (err) {
      localStream = null;
      api.notice(t("calls.no_camera"), "error");
    }
  }

  function iceServers(call) {
    return (call.iceServers || []).map(function (s) {
      var out = { urls: s.urls };
      if (s.username) { out.username = s.username; }
      if (s.credential) { out.credential = s.credential; }
      return out;
    });
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

  async function sendOnScreenLeg(pc) {
    var tracks = localStream ? localStream.getTracks() : [];
    for (var transceiver of pc.getTransceivers()) {
      var kind = transceiver.receiver.track.kind;
      var track = tracks.find(function (x) { return x.kind === kind; }) || null;
      if (track) {
        await transceiver.sender.replaceTrack(track);
        transceiver.direction = "sendonly";
      } else {
        transceiver.direction = "inactive";
      }
    }
  }

  async function answerOffer(call, leg, sdp) {
    if (leg !== "camera" && leg !== "screen") { return; }
    if (api.pcs[leg]) { api.pcs[leg].close(); }
    var pc = new RTCPeerConnection({ iceServers: iceServers(call), iceTransportPolicy: api.iceTransportPolicy });
    api.pcs[leg] = pc;
    if (leg === "camera" && remoteStream) { // the old connection's tracks are dead
      remoteStream = null;
      el.remote.srcObject = null;
    }
    pc.addEventListener("connectionstatechange", function () {
      if (api.pcs[leg] === pc) {
        api.mediaStateListeners.forEach(function (listener) { listener(leg, pc.connectionState); });
      }
      if (pc.connectionState === "connected") { api.mediaConnected(); }
      if (pc.connectionState === "failed" && api.pcs[leg] === pc) { api.notice(t("calls.media_disturbed"), "error"); }
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
    if (leg === "screen") { await sendOnScreenLeg(pc); }
    await pc.setLocalDescription(await pc.createAnswer());
    await iceComplete(pc);
    if (api.callId !== call.id || api.pcs[leg] !== pc) { return; }
    api.send({ type: "rtc.answer", call_id: call.id, leg: leg, sdp: pc.localDescription.sdp });
  }

  function stop() {
    ["camera", "screen"].forEach(function (leg) {
      if (api.pcs[leg]) { api.pcs[leg].close(); api.pcs[leg] = null; }
    });
    if (localStream) { localStream.getTracks().forEach(function (track) { track.stop(); }); }
    localStream = null;
    remoteStream = null;
    el.local.srcObject = null;
    el.local.classList.remove("live");
    el.remote.srcObject = null;
  }

  api.media = { start: start, answerOffer: answerOffer, stop: stop };
})();
